package io.stickyring.lb.route;

import java.net.InetSocketAddress;

/**
 * Derives the 64-bit ring key from a client address. Every LB instance must use the same function
 * so that a client reaches the same member whichever instance accepts it.
 */
@FunctionalInterface
public interface KeyFunction {

    long key(InetSocketAddress client);
}
