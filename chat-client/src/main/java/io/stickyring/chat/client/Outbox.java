package io.stickyring.chat.client;

import java.util.List;

/**
 * The client's queue of messages not yet acknowledged, plus its inbox cursor. Invariant: an entry
 * stays (and is returned by {@link #pending()} in enqueue order) until {@link #remove} is called
 * for its id; a durable implementation makes {@link #add} durable before returning.
 */
public interface Outbox extends AutoCloseable {
    /** Adds an entry; when this returns, the entry survives a crash of the process (durable outboxes). */
    void add(OutboxEntry e);

    /** Removes the entry with this id (its ack arrived, or it was refused for good); no-op if absent. */
    void remove(String id);

    /** Unacknowledged entries in enqueue order. */
    List<OutboxEntry> pending();

    /** The highest inbox cursor the client has processed (0 if none). */
    long cursor();

    /** Records the highest processed inbox cursor (need not be durable at once; never goes backwards). */
    void cursor(long cursor);

    /**
     * Moves the cursor back to {@code cursor}: only when the node's inbox head is below it, i.e.
     * the client reached a store that does not hold what it processed (see ChatClient).
     */
    void resetCursor(long cursor);

    @Override
    void close();
}
