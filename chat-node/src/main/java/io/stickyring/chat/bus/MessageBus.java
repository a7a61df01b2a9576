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

    @Override
    void close();

    /** A live subscription; closing it is idempotent. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }
}
