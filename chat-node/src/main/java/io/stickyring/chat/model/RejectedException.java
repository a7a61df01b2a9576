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

    /** The conversation does not exist (or a direct one names an invalid user). */
    public static RejectedException unknownConversation(String conv) {
        return new RejectedException("unknown_conversation", "no conversation '" + conv + "'");
    }

    /** {@code user} is not (or no longer) a member of {@code conv}. */
    public static RejectedException notMember(String user, String conv) {
        return new RejectedException("not_member", "user '" + user + "' is not a member of '" + conv + "'");
    }

    public String code() {
        return code;
    }
}
