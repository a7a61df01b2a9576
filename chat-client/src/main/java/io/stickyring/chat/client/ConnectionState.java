package io.stickyring.chat.client;

/** The client's connection life cycle. */
public enum ConnectionState {
    /** Opening a transport (WebSocket or long poll) and saying hello. */
    CONNECTING,
    /** Welcomed by a node; the outbox has been (re)sent. */
    CONNECTED,
    /** Lost the connection; a reconnect is scheduled after a backoff. */
    RECONNECTING,
    /** {@link ChatClient#close()} was called. */
    CLOSED
}
