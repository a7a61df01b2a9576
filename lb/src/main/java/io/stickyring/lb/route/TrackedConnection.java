package io.stickyring.lb.route;

import java.net.InetSocketAddress;

/**
 * A proxied connection as the routing layer and the admin API see it: its ring key, a way to close
 * it with a reason, and (for {@code GET /connections}) who it serves and how much it carried.
 *
 * <p>The descriptive getters may be read from any thread; they return a recent value, not a
 * snapshot consistent with each other.
 */
public interface TrackedConnection {

    long key();

    /** Closes both sides; thread-safe and idempotent; the first reason recorded wins. */
    void close(CloseReason reason);

    /** The client's address and port (the one a PROXY header carried, if accepted); null if unknown. */
    default InetSocketAddress client() {
        return null;
    }

    /** Id of the member this connection is proxied to; null before its member connect succeeded. */
    default String memberId() {
        return null;
    }

    /** System.nanoTime() when the client connection was accepted. */
    default long startNanos() {
        return 0;
    }

    /** Bytes relayed from the client to the member so far. */
    default long bytesToMember() {
        return 0;
    }

    /** Bytes relayed from the member to the client so far. */
    default long bytesFromMember() {
        return 0;
    }
}
