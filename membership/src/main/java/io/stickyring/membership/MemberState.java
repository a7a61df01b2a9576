package io.stickyring.membership;

/** State a member publishes in membership. Health (DOWN) is each LB's own local judgement, not stored here. */
public enum MemberState {
    /** Takes new connections for the keys it owns. */
    ACTIVE,
    /** Keeps its existing connections but takes no new ones; its keys go to their fallbacks. */
    DRAINING,
    /**
     * Maintenance, set by an operator: takes no new connections, keeps its existing ones without a
     * drain timeout, and LBs neither health-check it nor report it DOWN. Readers older than this
     * state leave such a member out of their view (a bad payload).
     */
    MAINT
}
