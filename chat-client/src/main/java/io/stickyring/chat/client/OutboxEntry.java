package io.stickyring.chat.client;

import java.util.Objects;

/** One queued outgoing message: its client-generated id (the server's idempotence key), conversation and body. */
public record OutboxEntry(String id, String conv, String body, long enqueuedAtMillis) {
    public OutboxEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(conv, "conv");
        Objects.requireNonNull(body, "body");
        if (id.isEmpty() || id.length() > 64) {
            throw new IllegalArgumentException("id (" + id + ") must be 1..64 chars");
        }
    }
}
