package io.stickyring.lb.source;

import io.stickyring.membership.Member;
import io.stickyring.membership.MembershipView;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A fixed member list from {@code --backend ID=HOST:PORT} flags. Drain is local to this LB (there is
 * nothing shared to write to); tests also use {@link #set} to simulate membership changes.
 */
public final class StaticViewSource implements ViewSource {

    private final List<Consumer<MembershipView>> listeners = new CopyOnWriteArrayList<>();
    private volatile MembershipView view;

    public StaticViewSource(List<Member> members) {
        this.view = MembershipView.of(1, members);
    }

    @Override
    public void start() {
    }

    @Override
    public MembershipView current() {
        return view;
    }

    @Override
    public void addListener(Consumer<MembershipView> listener) {
        listeners.add(listener);
    }

    /** Publishes a new member list with the next version. */
    public synchronized void set(List<Member> members) {
        view = MembershipView.of(view.version() + 1, members);
        listeners.forEach(l -> l.accept(view));
    }

    @Override
    public synchronized boolean drain(String id) {
        List<Member> next = new ArrayList<>();
        boolean found = false;
        for (Member m : view.members()) {
            if (m.id().equals(id)) {
                found = true;
                next.add(m.withState(io.stickyring.membership.MemberState.DRAINING));
            } else {
                next.add(m);
            }
        }
        if (found) {
            set(next);
        }
        return found;
    }

    @Override
    public void close() {
    }
}
