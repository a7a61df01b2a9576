package io.stickyring.lb.route;

import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.HashConfig;
import io.stickyring.ring.Node;
import java.util.List;

/**
 * Builds the {@link ConsistentHash} for one membership snapshot from a typed {@link HashConfig}
 * (algorithm and its parameters, validated). The production implementation is ring's
 * {@link HashConfig#build}; tests may pass a double.
 *
 * <p>Contract: the same algorithm and the same node set give an equal mapping on every call and
 * every LB instance (no randomness, no dependence on input order).
 */
@FunctionalInterface
public interface HashFactory {

    /** @param nodes non-empty, any order */
    ConsistentHash build(HashConfig config, List<Node> nodes);
}
