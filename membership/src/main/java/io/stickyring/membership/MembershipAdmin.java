package io.stickyring.membership;

/**
 * Operator actions on the shared member list, behind an LB's {@code POST /members/ID/state},
 * {@code /weight} and {@code /drain}.
 *
 * <p>Invariant: a state or weight set here is seen by every LB watching the same source, and a
 * member changing state or weight is one change in place (never a leave followed by a join).
 */
public interface MembershipAdmin {

    /**
     * Sets the published state of member {@code id}.
     *
     * @return the member as stored after the change
     * @throws NoSuchMemberException if no member with that id is registered
     * @throws MembershipException   if the store cannot be reached or holds an unreadable payload
     */
    Member setState(String id, MemberState state);

    /**
     * Sets the published weight of member {@code id} (its share of the key space is weight / total
     * weight of the ACTIVE members).
     *
     * @return the member as stored after the change
     * @throws IllegalArgumentException if {@code weight} is below 1
     * @throws NoSuchMemberException    if no member with that id is registered
     * @throws MembershipException      if the store cannot be reached or holds an unreadable payload
     */
    Member setWeight(String id, int weight);

    /** Marks member {@code id} DRAINING: it keeps its connections but gets no new ones. */
    default Member drain(String id) {
        return setState(id, MemberState.DRAINING);
    }
}
