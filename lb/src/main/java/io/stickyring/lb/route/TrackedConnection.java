package io.stickyring.lb.route;

/** A proxied connection as the routing layer sees it: its ring key, and a way to close it with a reason. */
public interface TrackedConnection {

    long key();

    /** Closes both sides; thread-safe and idempotent; the first reason recorded wins. */
    void close(CloseReason reason);
}
