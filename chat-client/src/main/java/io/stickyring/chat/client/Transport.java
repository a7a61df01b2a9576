package io.stickyring.chat.client;

/**
 * One connection attempt carrying protocol frames (JSON text). Invariant: after {@link #open},
 * the listener gets at most one {@code onOpen} and exactly one {@code onClosed}, after which the
 * transport is dead; a new connection is a new transport.
 */
interface Transport {
    void open(Listener listener);

    /** Sends one frame; false if the transport is not open (the frame is not sent). */
    boolean send(String json);

    /** Closes (idempotent); {@code onClosed} follows. */
    void close();

    String name();

    interface Listener {
        void onOpen();

        void onText(String json);

        /**
         * {@code code} is the WebSocket close code, or 1006 when the connection failed without one;
         * {@code handshakeFailed}: the TCP connection was made but the WebSocket upgrade failed.
         */
        void onClosed(int code, String reason, boolean handshakeFailed);
    }
}
