package io.stickyring.chat.bus;

import java.util.List;
import java.util.function.Consumer;

/**
 * Carries {@link BusEvent}s to whichever node holds each recipient's sessions. Implementations:
 * {@link LocalMessageBus} (one process), {@link SqliteTailBus} and, in cluster mode, NATS; each runs
 * the same contract test suite ({@code MessageBusContract} in the test sources).
 *
 * <p>A bus keeps no per-user subscriber lists: it hands every event it delivers on this node to one
 * sink ({@link #deliverTo}, the node's session registry), which fans it out to the user's sessions.
 * {@link #interest} only tells the bus which users this node wants (a cluster bus subscribes to
 * their subjects); a bus may also hand the sink events for users without interest, which the sink
 * drops.
 *
 * <p>Contract: an event published for user U after an {@link #interest} in U has returned reaches
 * the sink at most once and in publish order per publisher (best effort: the bus is a fast hint,
 * the store is the truth, so a lost event costs latency, never data). A bus that may have lost
 * events for a user without a later one revealing the gap hands the sink a {@link BusEvent.Resync}
 * for that user instead of reading the store itself. The sink runs on a bus thread and must not
 * block.
 */
public interface MessageBus extends AutoCloseable {

    /**
     * Sets the one receiver of every event this bus delivers on this node (replacing any earlier
     * one); until it is set, events are dropped. Set it before declaring any {@link #interest}.
     */
    void deliverTo(Consumer<BusEvent> sink);

    /**
     * Declares that this node wants {@code user}'s events until the returned handle is closed.
     * Declarations for one user may overlap; interest ends when the last is closed.
     */
    Subscription interest(String user);

    /** Publishes one event for {@code event.user()}. Never blocks on slow receivers. */
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
