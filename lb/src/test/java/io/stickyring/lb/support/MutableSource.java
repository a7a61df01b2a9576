package io.stickyring.lb.support;

import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.MembershipAdmin;
import io.stickyring.membership.MembershipSource;
import io.stickyring.membership.MembershipView;
import io.stickyring.membership.NoSuchMemberException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Test membership source whose member list the test sets; versions grow by one per change. */
public final class MutableSource implements MembershipSource, MembershipAdmin {

    private final List<Consumer<MembershipView>> listeners = new CopyOnWriteArrayList<>();
    private volatile MembershipView view;

    public MutableSource(List<Member> members) {
        view = MembershipView.of(1, members);
    }

    @Override
    public void start() {
    }

    @Override
    public Optional<MembershipView> current() {
        return Optional.of(view);
    }

    @Override
    public synchronized void addListener(Consumer<MembershipView> listener) {
        listeners.add(listener);
        listener.accept(view);
    }

    @Override
    public void removeListener(Consumer<MembershipView> listener) {
        listeners.remove(listener);
    }

    public synchronized void set(List<Member> members) {
        publish(MembershipView.of(view.version() + 1, members));
    }

    public synchronized void markStale(long sinceMillis) {
        publish(view.markStale(sinceMillis));
    }

    private void publish(MembershipView v) {
        view = v;
        listeners.forEach(l -> l.accept(v));
    }

    @Override
    public synchronized Member setState(String id, MemberState state) {
        Member m = view.member(id).orElseThrow(() -> new NoSuchMemberException(id, "test source"));
        set(view.members().stream().map(x -> x.id().equals(id) ? x.withState(state) : x).toList());
        return m.withState(state);
    }

    @Override
    public synchronized Member setWeight(String id, int weight) {
        Member m = view.member(id).orElseThrow(() -> new NoSuchMemberException(id, "test source"));
        set(view.members().stream().map(x -> x.id().equals(id) ? x.withWeight(weight) : x).toList());
        return m.withWeight(weight);
    }

    @Override
    public void close() {
    }
}
