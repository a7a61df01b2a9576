package io.stickyring.chat.cluster;

import java.util.Locale;

/**
 * What a chat node does in a cluster ({@code node --role}). {@link #ALL} is the single server type
 * (Messenger's shape): clients, reads and, when ZooKeeper lists writers, the commits it owns.
 * {@link #EDGE} and {@link #WRITER} split it (Slack's shape): edges hold clients and serve reads and
 * forward sends; writers own sequencing and the durable commit and are never given to clients.
 */
public enum NodeRole {
    ALL, EDGE, WRITER;

    /** Registers for the load balancers (clients may be routed here). */
    public boolean servesClients() {
        return this != WRITER;
    }

    /** Registers as a writer and answers append requests for the conversations it owns. */
    public boolean commits() {
        return this != EDGE;
    }

    /** {@code all}, {@code edge} or {@code writer}; anything else is an error naming the value. */
    public static NodeRole parse(String value) {
        if (value != null) {
            for (NodeRole r : values()) {
                if (r.name().toLowerCase(Locale.ROOT).equals(value)) {
                    return r;
                }
            }
        }
        throw new IllegalArgumentException("role (" + value + ") must be all, edge or writer");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
