package io.stickyring.chat.model;

/** One position of a user's inbox: {@code cursor} is contiguous per user (1, 2, 3, ...). */
public record InboxEntry(long cursor, StoredMessage message) {
}
