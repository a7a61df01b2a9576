package io.stickyring.chat.client;

/** An {@code ack}: the message with client id {@code id} is durable as {@code seq} of {@code conv}. */
public record SendAck(String id, String conv, long seq, long ts) {
}
