package io.stickyring.chat.client;

/**
 * Callbacks from a {@link ChatClient}, all on the client's single event thread, in the order the
 * client processed them. Invariant: {@link #onMessage} sees each (conv, seq) at most once per
 * client instance, in inbox-cursor order. Implementations must not block for long.
 */
public interface ChatListener {
    /** A new message of one of the user's conversations (the user's own sends included). */
    default void onMessage(ChatMessage m) {
    }

    /** The node stored a queued message durably; it has left the outbox. */
    default void onAck(SendAck a) {
    }

    /** The node refused a queued message for good (e.g. not_member, too_large); it has left the outbox. */
    default void onSendFailed(OutboxEntry e, String code, String message) {
    }

    /** A member of a conversation marked messages up to {@code seq} read. */
    default void onReceipt(String conv, String user, long seq) {
    }

    /** Ephemeral typing notice. */
    default void onTyping(String conv, String from) {
    }

    /**
     * The node's inbox head was below the client's cursor: the client reached a store that does not
     * hold what it had processed (a node with its own store, e.g. after failover in the embedded
     * demo). The client continues from the node's head; messages from before are not replayed.
     */
    default void onInboxReset(long oldCursor, long newCursor) {
    }

    /** Connection state changes (with the serving node and the client IP it saw, once welcomed). */
    default void onState(ConnectionState state, ConnectionInfo info) {
    }
}
