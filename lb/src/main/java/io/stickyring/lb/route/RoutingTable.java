package io.stickyring.lb.route;

import io.stickyring.membership.MembershipView;
import io.stickyring.ring.BoundedLoadHash;
import io.stickyring.ring.ConsistentHash;
import java.util.List;

/**
 * One immutable routing snapshot: the ring of ACTIVE, healthy members and their runtimes, built once
 * per view or health change and published through one volatile field in {@link Router}.
 *
 * <p>Invariant: {@code ring[i]} is the runtime of {@code hash.nodes().get(i)}; {@code hash} is null
 * exactly when no member can take new connections.
 *
 * @param view    the membership view this table was built from
 * @param hash    the ring over ACTIVE and up members, or null when there are none
 * @param bounded the bounded-load decorator over {@code hash} reading live connection counts, or null
 *                when {@code --balance-factor} is off
 * @param ring    runtimes aligned with {@code hash.nodes()}
 * @param members runtimes of every member in the view (including DRAINING and DOWN), sorted by id
 */
public record RoutingTable(MembershipView view, ConsistentHash hash, BoundedLoadHash bounded, MemberRuntime[] ring,
                           List<MemberRuntime> members) {

    public boolean routable() {
        return hash != null;
    }
}
