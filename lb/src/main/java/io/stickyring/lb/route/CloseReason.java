package io.stickyring.lb.route;

/** Who closed a proxied connection and why; the first reason recorded wins. Used in logs and metrics. */
public enum CloseReason {
    /** The client closed (FIN or reset). */
    CLIENT,
    /** The member closed (FIN or reset). */
    MEMBER,
    /** This LB marked the member down (failed health checks or connect failures). */
    MEMBER_DOWN,
    /** The member left the membership view. */
    MEMBER_REMOVED,
    /** The member was DRAINING and the drain timeout passed. */
    DRAIN_TIMEOUT,
    /** A side was idle longer than its idle timeout. */
    IDLE,
    /** Refused by a limit (total, per-IP, accept rate, member full). */
    LIMIT,
    /** No member to route to (empty view or every candidate down). */
    NO_MEMBER,
    /** Every connect attempt failed. */
    CONNECT_FAILED,
    /** The LB shut down and the grace period ended. */
    SHUTDOWN,
    /** An unexpected error in the LB. */
    ERROR;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
