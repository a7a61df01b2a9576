package io.stickyring.sim.engine;

import java.io.OutputStream;
import java.io.PrintStream;
import org.openjdk.jol.info.GraphLayout;
import org.openjdk.jol.vm.VM;

/**
 * Retained size of an algorithm instance (its whole object graph: tables, points, node list), as
 * laid out by this JVM, via OpenJDK JOL. An estimate: objects shared with others (interned
 * strings) are counted as if owned.
 *
 * <p>JOL reads field offsets through Unsafe, which refuses records on JDK 17; the
 * {@code jol.magicFieldOffset} mode computes them instead. We skip its agent attach (which would
 * need {@code -Djdk.attach.allowAttachSelf}) and silence the warnings it prints on stdout once at
 * start-up, so tables and CSV piped from stdout stay clean.
 */
public final class MemoryEstimate {

    private static final boolean AVAILABLE = init();

    private MemoryEstimate() {
    }

    private static synchronized boolean init() {
        System.setProperty("jol.magicFieldOffset", "true");
        System.setProperty("jol.skipDynamicAttach", "true");
        System.setProperty("jol.skipInstallAttach", "true");
        System.setProperty("jol.skipHotspotSAAttach", "true");
        PrintStream out = System.out;
        try {
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            VM.current();
            return true;
        } catch (RuntimeException | LinkageError e) {
            return false;
        } finally {
            System.setOut(out);
        }
    }

    /** Bytes, or -1 when the graph cannot be walked on this JVM. */
    public static long bytes(Object root) {
        if (!AVAILABLE) {
            return -1;
        }
        try {
            return GraphLayout.parseInstance(root).totalSize();
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }
}
