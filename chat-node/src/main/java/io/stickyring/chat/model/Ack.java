package io.stickyring.chat.model;

/** What the sender learns about a durable message; identical for every resend of the same id. */
public record Ack(String id, String conv, long seq, long ts) {
    public static Ack of(StoredMessage m) {
        return new Ack(m.id(), m.conv(), m.seq(), m.ts());
    }
}
