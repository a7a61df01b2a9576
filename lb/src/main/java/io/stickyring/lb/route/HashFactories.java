package io.stickyring.lb.route;

import io.stickyring.ring.HashConfig;

/** The production {@link HashFactory}: ring's {@link HashConfig#build}. */
public final class HashFactories {

    private HashFactories() {
    }

    public static HashFactory defaults() {
        return HashConfig::build;
    }
}
