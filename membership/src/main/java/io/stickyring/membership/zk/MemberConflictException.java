package io.stickyring.membership.zk;

/**
 * Another live process already holds the member id this process wants to register. The message
 * names the id and the other process's address so an operator can find it.
 */
public final class MemberConflictException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final String memberId;
    private final String otherAddress;

    public MemberConflictException(String memberId, String otherAddress, String message) {
        super(message);
        this.memberId = memberId;
        this.otherAddress = otherAddress;
    }

    public String memberId() {
        return memberId;
    }

    /** {@code host:port} of the other registration, or a description when its payload is unreadable. */
    public String otherAddress() {
        return otherAddress;
    }
}
