package io.stickyring.chat.model;

/** A durable message: {@code seq} is its position in {@code conv}, dense from 1, never reused. */
public record StoredMessage(String conv, long seq, String id, String from, String body, long ts) {
}
