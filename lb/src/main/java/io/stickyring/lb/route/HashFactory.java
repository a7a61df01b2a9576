package io.stickyring.lb.route;

import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.Node;
import java.util.List;

/**
 * Builds the {@link ConsistentHash} for one membership snapshot. The production implementation
 * delegates to membership's ring package; tests may pass a double.
 *
 * <p>Contract: the same algorithm and the same node set give an equal mapping on every call and
 * every LB instance (no randomness, no dependence on input order).
 */
@FunctionalInterface
public interface HashFactory {

    /** @param nodes non-empty, any order */
    ConsistentHash build(String algorithm, List<Node> nodes);
}
