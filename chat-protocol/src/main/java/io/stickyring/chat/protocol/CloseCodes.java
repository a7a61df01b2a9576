package io.stickyring.chat.protocol;

/** WebSocket close codes the node uses; see docs/protocol.md. */
public final class CloseCodes {
    /** Protocol error (e.g. an unmasked client frame); sent by Netty's decoder. */
    public static final int PROTOCOL_ERROR = 1002;
    /** Binary frames are not part of the protocol. */
    public static final int UNSUPPORTED_DATA = 1003;
    /** Invalid UTF-8 in a text frame; sent by Netty's UTF-8 validator. */
    public static final int INVALID_PAYLOAD = 1007;
    /** Bad or missing token, or a frame before {@code hello}, or no hello in time. */
    public static final int POLICY_VIOLATION = 1008;
    /** Frame over the size limit; sent by Netty's decoder. */
    public static final int MESSAGE_TOO_BIG = 1009;
    /** Node restarting or draining: reconnect (elsewhere) after the jittered hint in the reason. */
    public static final int SERVICE_RESTART = 1012;
    /** Slow consumer: the client did not read fast enough; reconnect and resync from the cursor. */
    public static final int TRY_AGAIN_LATER = 1013;

    private CloseCodes() {
    }
}
