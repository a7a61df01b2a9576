package io.stickyring.chat.protocol;

/**
 * WebSocket close codes (RFC 6455 section 7.4) as the chat protocol uses them; see docs/protocol.md.
 * The node sends them; the client SDK reacts to them (1008: get a new token, 1012: wait for the
 * {@link RetryHint}) and reports {@link #ABNORMAL} for a connection that ended without a close frame.
 */
public final class CloseCodes {
    /** Normal closure: the client closed on purpose. */
    public static final int NORMAL = 1000;
    /** Protocol error (e.g. an unmasked client frame); sent by Netty's decoder. */
    public static final int PROTOCOL_ERROR = 1002;
    /** Binary frames are not part of the protocol. */
    public static final int UNSUPPORTED_DATA = 1003;
    /** Never on the wire: the connection ended without a close frame (RFC 6455 section 7.1.5). */
    public static final int ABNORMAL = 1006;
    /** Invalid UTF-8 in a text frame; sent by Netty's UTF-8 validator. */
    public static final int INVALID_PAYLOAD = 1007;
    /** Bad or missing token, or a frame before {@code hello}, or no hello in time. */
    public static final int POLICY_VIOLATION = 1008;
    /** Frame over the size limit; sent by Netty's decoder. */
    public static final int MESSAGE_TOO_BIG = 1009;
    /** The store failed while starting the session. */
    public static final int INTERNAL_ERROR = 1011;
    /** Node restarting or draining: reconnect (elsewhere) after the jittered {@link RetryHint} in the reason. */
    public static final int SERVICE_RESTART = 1012;
    /** Slow consumer: the client did not read fast enough; reconnect and resync from the cursor. */
    public static final int TRY_AGAIN_LATER = 1013;

    private CloseCodes() {
    }
}
