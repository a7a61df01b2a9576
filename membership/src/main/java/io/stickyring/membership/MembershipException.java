package io.stickyring.membership;

/** A membership operation failed for a reason outside the caller's input: store unreachable, unreadable data. */
public class MembershipException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MembershipException(String message) {
        super(message);
    }

    public MembershipException(String message, Throwable cause) {
        super(message, cause);
    }
}
