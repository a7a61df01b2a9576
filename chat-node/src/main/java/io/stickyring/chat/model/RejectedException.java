package io.stickyring.chat.model;

/**
 * A request the store refuses for a reason that retrying will not fix (not a member, unknown
 * conversation). {@code code} is the protocol error code sent to the client.
 */
public final class RejectedException extends RuntimeException {
    private final String code;

    public RejectedException(String code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
