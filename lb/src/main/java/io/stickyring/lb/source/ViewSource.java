package io.stickyring.lb.source;

import io.stickyring.membership.MembershipView;
import java.util.function.Consumer;

/**
 * Where the LB gets its membership views from, and where an operator's drain request goes.
 *
 * <p>Contract: after {@link #start()} returns, {@link #current()} is the initial view and every later
 * view is delivered to the listeners in version order; during an outage the last view is re-delivered
 * marked stale, never emptied.
 */
public interface ViewSource extends AutoCloseable {

    void start() throws Exception;

    MembershipView current();

    void addListener(Consumer<MembershipView> listener);

    /** Marks member {@code id} DRAINING for every LB sharing this source; false if no such member. */
    boolean drain(String id) throws Exception;

    @Override
    void close();
}
