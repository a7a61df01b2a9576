package io.stickyring.chat.bus;

import java.util.List;
import java.util.function.Consumer;

/**
 * Fan-out of {@link BusEvent}s to whichever node holds each recipient's sessions. Implementations:
 * {@link LocalMessageBus} (one process) and, in cluster mode, NATS; each runs the same contract
 * test suite ({@code MessageBusContract} in the test sources).
 *
 * <p>Contract: an event published for user U after a {@link #subscribe} for U has returned reaches
 * that subscriber at most once and in publish order per publisher (best effort: the bus is a fast
 * hint, the store is the truth, so a lost event costs latency, never data). Handlers run on a bus
 * thread and must not block.
 */
public interface MessageBus extends AutoCloseable {

    /** Starts delivering events for {@code user} to {@code handler} until the subscription is closed. */
    Subscription subscribe(String user, Consumer<BusEvent> handler);

    /** Publishes one event to the subscribers of {@code event.user()}. Never blocks on slow subscribers. */
    void publish(BusEvent event);

    /** Publishes several events (implementations may batch). */
    default void publishAll(List<? extends BusEvent> events) {
        for (BusEvent e : events) {
            publish(e);
        }
    }

    /**
     * Tells the other nodes that the member list of group {@code conv} changed (someone left), so
     * each drops its cached copy; the publishing node's store has already dropped its own. Best
     * effort like every event: stores also reload cached member lists periodically. The default
     * does nothing (a bus that stays in one process has no other node to tell).
     */
    default void publishGroupChanged(String conv) {
    }

    /** Calls {@code handler} with the id of every group another node changed (bus thread; must not block). */
    default Subscription subscribeGroupChanges(Consumer<String> handler) {
        return () -> { };
    }

    @Override
    void close();

    /** A live subscription; closing it is idempotent. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }
}
