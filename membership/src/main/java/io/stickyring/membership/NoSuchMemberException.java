package io.stickyring.membership;

/** No member with the given id is registered (an admin call named an unknown id). */
public final class NoSuchMemberException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String memberId;

    public NoSuchMemberException(String memberId, String where) {
        super("no member '" + memberId + "' is registered in " + where);
        this.memberId = memberId;
    }

    public String memberId() {
        return memberId;
    }
}
