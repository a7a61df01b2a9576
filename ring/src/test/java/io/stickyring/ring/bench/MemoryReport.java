package io.stickyring.ring.bench;

import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.HashAlgorithm;
import io.stickyring.ring.Node;
import io.stickyring.ring.RingHash;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;
import java.util.Locale;

/**
 * Retained bytes per instance: the array-size estimate ({@link ConsistentHash#estimatedBytes()})
 * next to a heap measurement (used heap after full GCs with K live instances, minus before,
 * divided by K). The member list is built once and shared, so node objects are not counted.
 * Peer: the naive TreeMap ketama over the same points, measured only.
 *
 * <p>Run: {@code mvn -B -q -pl membership test-compile exec:java
 * -Dexec.mainClass=io.stickyring.ring.bench.MemoryReport -Dexec.classpathScope=test}
 */
public final class MemoryReport {

    private MemoryReport() {
    }

    static long usedAfterGc() {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            used = Math.min(used, mx.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    static long measure(java.util.function.Supplier<Object> build, int k) {
        Object[] keep = new Object[k];
        long before = usedAfterGc();
        for (int i = 0; i < k; i++) {
            keep[i] = build.get();
        }
        long after = usedAfterGc();
        if (keep[k - 1] == null) {
            throw new AssertionError();
        }
        return (after - before) / k;
    }

    public static void main(String[] args) {
        System.out.println("| algorithm | N | estimated bytes | measured bytes (heap delta) |");
        System.out.println("|---|---:|---:|---:|");
        for (String impl : new String[] {"ring", "maglev", "rendezvous", "jump", "ketama-treemap"}) {
            for (int n : new int[] {10, 100, 1000}) {
                List<Node> members = BalanceReport.members("node-", n);
                int k = n == 1000 && !impl.equals("rendezvous") && !impl.equals("jump") ? 3 : 20;
                String estimate;
                long measured;
                if (impl.equals("ketama-treemap")) {
                    estimate = "-";
                    measured = measure(() -> new TreeMapKetama(members, RingHash.DEFAULT_VNODES), k);
                } else {
                    HashAlgorithm a = HashAlgorithm.fromName(impl);
                    ConsistentHash one = a.build(members);
                    estimate = Long.toString(one.estimatedBytes() - 64L * n);
                    measured = measure(() -> a.build(members), k);
                }
                System.out.printf(Locale.ROOT, "| %s | %d | %s | %d |%n", impl, n, estimate, measured);
            }
        }
    }
}
