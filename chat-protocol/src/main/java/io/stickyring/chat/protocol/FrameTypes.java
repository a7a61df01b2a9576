package io.stickyring.chat.protocol;

/**
 * The frame types of docs/protocol.md: every frame is a JSON object whose field {@link #FIELD}
 * ({@code t}) holds one of these names. The same names are used on the WebSocket and in HTTP
 * bodies. {@link #TYPING} and {@link #HISTORY} go both ways (a request and its answer share the name).
 */
public final class FrameTypes {
    /** The field that carries a frame's type. */
    public static final String FIELD = "t";

    // Client -> server.
    public static final String HELLO = "hello";
    public static final String SEND = "send";
    public static final String SYNC = "sync";
    public static final String READ = "read";
    public static final String LEAVE = "leave";
    public static final String PING = "ping";

    // Both ways.
    public static final String TYPING = "typing";
    public static final String HISTORY = "history";

    // Server -> client.
    public static final String WELCOME = "welcome";
    public static final String MSG = "msg";
    public static final String SYNCED = "synced";
    public static final String ACK = "ack";
    public static final String RECEIPT = "receipt";
    public static final String ERROR = "error";
    public static final String LEFT = "left";
    public static final String PONG = "pong";
    /** The answer to {@code GET /api/poll} (HTTP only). */
    public static final String POLL = "poll";

    private FrameTypes() {
    }
}
