package io.stickyring.lb.route;

import io.stickyring.ring.HashConfig;

/** The production {@link HashFactory}: membership's algorithms with their default parameters. */
public final class HashFactories {

    private HashFactories() {
    }

    public static HashFactory defaults() {
        return (algorithm, nodes) -> HashConfig.of(algorithm).build(nodes);
    }
}
