package io.stickyring.membership;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fixed member list, for {@code lb --backend ID=HOST:PORT ...} without ZooKeeper (the specs are
 * parsed at the edge, by cli's {@code MemberSpec}).
 *
 * <p>Invariant: publishes version 1 on {@link #start()}; the only later change is a local
 * {@link #setState}, {@link #setWeight} or {@link #replace} (this LB only, there is no shared store), which publishes version + 1. The
 * view is never stale. Listeners run on the thread that published, under one lock, so they see
 * views in version order.
 */
public final class StaticMembershipSource implements MembershipSource, MembershipAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(StaticMembershipSource.class);

    private enum State { LATENT, STARTED, STOPPED }

    private final List<Member> initial;
    /** The list as last configured (start or {@link #replace}), to tell changed lines from unchanged ones. */
    private List<Member> configured;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final CopyOnWriteArrayList<Consumer<MembershipView>> listeners = new CopyOnWriteArrayList<>();
    private final Object publishLock = new Object();
    private volatile MembershipView current;

    public StaticMembershipSource(List<Member> members) {
        Objects.requireNonNull(members, "members");
        // Validates duplicate ids now rather than at start().
        this.initial = MembershipView.of(1, members).members();
        this.configured = initial;
    }

    @Override
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("static membership source already started (state " + state.get() + ")");
        }
        publish(MembershipView.of(1, initial));
    }

    @Override
    public Optional<MembershipView> current() {
        return Optional.ofNullable(current);
    }

    @Override
    public void addListener(Consumer<MembershipView> listener) {
        Objects.requireNonNull(listener, "listener");
        synchronized (publishLock) {
            listeners.add(listener);
            if (current != null) {
                deliver(listener, current);
            }
        }
    }

    @Override
    public void removeListener(Consumer<MembershipView> listener) {
        listeners.remove(listener);
    }

    /** Changes the state of one member for this process only and publishes version + 1. */
    @Override
    public Member setState(String id, MemberState newState) {
        Objects.requireNonNull(newState, "state");
        return change(id, m -> m.withState(newState));
    }

    /** Changes the weight of one member for this process only and publishes version + 1. */
    @Override
    public Member setWeight(String id, int weight) {
        if (weight < 1) {
            throw new IllegalArgumentException("weight (" + weight + ") of member '" + id + "' must be >= 1");
        }
        return change(id, m -> m.withWeight(weight));
    }

    /**
     * Replaces the member list (a config reload) and publishes version + 1 if anything changed. A
     * member whose configured entry is unchanged keeps everything set at runtime (state, weight); a
     * changed entry takes address and weight from the new list and keeps its runtime state; new
     * members start as listed; missing ones leave.
     *
     * @throws IllegalArgumentException on duplicate ids (nothing changes)
     */
    public void replace(List<Member> members) {
        List<Member> listed = MembershipView.of(1, members).members();
        synchronized (publishLock) {
            MembershipView view = current;
            if (view == null) {
                throw new IllegalStateException("static membership source not started");
            }
            List<Member> next = new ArrayList<>();
            for (Member m : listed) {
                Optional<Member> now = view.member(m.id());
                boolean sameLine = configured.stream().anyMatch(m::equals);
                next.add(now.isEmpty() ? m : sameLine ? now.get() : m.withState(now.get().state()));
            }
            configured = listed;
            if (!next.equals(view.members())) {
                publish(MembershipView.of(view.version() + 1, next));
            }
        }
    }

    private Member change(String id, java.util.function.UnaryOperator<Member> edit) {
        synchronized (publishLock) {
            MembershipView view = current;
            if (view == null) {
                throw new IllegalStateException("static membership source not started");
            }
            Member old = view.member(id).orElseThrow(() -> new NoSuchMemberException(id, "the static backend list"));
            Member changed = edit.apply(old);
            if (changed.equals(old)) {
                return old;
            }
            List<Member> members = new ArrayList<>(view.members());
            members.replaceAll(m -> m.id().equals(id) ? changed : m);
            publish(MembershipView.of(view.version() + 1, members));
            return changed;
        }
    }

    @Override
    public void close() {
        state.set(State.STOPPED);
        listeners.clear();
    }

    private void publish(MembershipView view) {
        synchronized (publishLock) {
            current = view;
            for (Consumer<MembershipView> listener : listeners) {
                deliver(listener, view);
            }
        }
    }

    private static void deliver(Consumer<MembershipView> listener, MembershipView view) {
        try {
            listener.accept(view);
        } catch (RuntimeException e) {
            LOG.error("membership listener {} failed on view version {}", listener, view.version(), e);
        }
    }
}
