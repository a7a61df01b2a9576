package io.stickyring.chat.client;

/** A received {@code msg}: {@code id} is the sender's client id, {@code cursor} this user's inbox position. */
public record ChatMessage(String conv, long seq, String id, String from, String body, long ts, long cursor) {
}
