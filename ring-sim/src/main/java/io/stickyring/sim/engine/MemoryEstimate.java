package io.stickyring.sim.engine;

import org.openjdk.jol.info.GraphLayout;

/**
 * Retained size of an algorithm instance (its whole object graph: tables, points, node list), as
 * laid out by this JVM, via OpenJDK JOL. An estimate: shared objects such as interned strings are
 * counted once per graph.
 */
public final class MemoryEstimate {

    private MemoryEstimate() {
    }

    /** Bytes, or -1 when the graph cannot be walked on this JVM. */
    public static long bytes(Object root) {
        try {
            return GraphLayout.parseInstance(root).totalSize();
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }
}
