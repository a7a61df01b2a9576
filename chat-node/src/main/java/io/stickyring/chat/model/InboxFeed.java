package io.stickyring.chat.model;

import java.util.List;

/**
 * Every inbox entry committed to one store, in commit order, whichever process wrote it: what a bus
 * that tails a store shared by several processes reads ({@code --bus sqlite}). A store that can
 * give it says so through its {@code inboxFeed()}.
 *
 * <p>Invariant: positions grow in commit order, so a reader that remembers the last position it
 * saw and asks for what follows misses nothing.
 */
public interface InboxFeed {
    /** The inbox entry {@code cursor} of {@code user}, at feed position {@code position}. */
    record Entry(long position, String user, long cursor, StoredMessage message) { }

    /** The newest position (0 when the feed is empty): where a tail starts. */
    long inboxTailPosition();

    /**
     * Up to {@code limit} entries after position {@code afterPosition}, in position order; an
     * unchecked exception when the store cannot be read (the reader tries again later).
     */
    List<Entry> inboxAfter(long afterPosition, int limit);
}
