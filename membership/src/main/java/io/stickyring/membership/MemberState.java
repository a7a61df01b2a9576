package io.stickyring.membership;

/** State a member publishes in membership. Health (DOWN) is each LB's own local judgement, not stored here. */
public enum MemberState {
    /** Takes new connections for the keys it owns. */
    ACTIVE,
    /** Keeps its existing connections but takes no new ones; its keys go to their fallbacks. */
    DRAINING
}
