package io.stickyring.chat.protocol;

/** The chat node's client-facing paths (docs/protocol.md "HTTP API"): the WebSocket and the HTTP API. */
public final class ApiPaths {
    /** {@code GET} with a WebSocket upgrade. */
    public static final String WS = "/ws";
    /** {@code POST {"user"}}: a dev token, only on a node started with {@code --dev-login}. */
    public static final String LOGIN = "/api/login";
    public static final String SEND = "/api/send";
    /** {@code GET ?cursor=N&wait=S}. */
    public static final String POLL = "/api/poll";
    /** {@code GET ?conv=&before=&limit=}. */
    public static final String HISTORY = "/api/history";
    /** {@code GET} lists, {@code POST} creates a group. */
    public static final String CONVERSATIONS = "/api/conversations";
    public static final String LEAVE = "/api/leave";

    private ApiPaths() {
    }
}
