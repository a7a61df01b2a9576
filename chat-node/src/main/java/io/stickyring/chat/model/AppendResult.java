package io.stickyring.chat.model;

import java.util.Map;

/**
 * The outcome of a durable append. For a first append, {@code cursors} maps every member of the
 * conversation to the inbox position the message took for that member. For a duplicate (the same
 * {@code (sender, clientId)} seen before) the ack is the original one and {@code cursors} is empty:
 * nothing is delivered twice.
 */
public record AppendResult(Ack ack, boolean duplicate, StoredMessage message, Map<String, Long> cursors) {
    public AppendResult {
        cursors = Map.copyOf(cursors);
    }
}
