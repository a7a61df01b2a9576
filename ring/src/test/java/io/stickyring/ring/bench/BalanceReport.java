package io.stickyring.ring.bench;

import io.stickyring.ring.ClientKeys;
import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.HashAlgorithm;
import io.stickyring.ring.HashConfig;
import io.stickyring.ring.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Prints the balance table of docs/algorithms.md: for each algorithm at its defaults and
 * N in {5, 10, 50, 100} equal-weight members named {@code node-0..node-(N-1)}, the peak-to-average
 * and relative standard deviation of the number of keys per member over 1M random IPv4 client
 * keys (whole-address mode, seed 42). With {@code --sweep} it also prints the ring's worst
 * peak-to-average over several member-id sets for a range of vnode counts (how the default was
 * chosen).
 *
 * <p>Run: see docs/algorithms.md ({@code bench/balance.sh}).
 */
public final class BalanceReport {

    static final int[] SIZES = {5, 10, 50, 100};
    static final int KEYS = 1_000_000;

    private BalanceReport() {
    }

    /** {peak/avg, stddev/avg} of per-member counts over {@code keys} random IPv4 keys. */
    public static double[] balance(ConsistentHash h, int keys, long seed) {
        int n = h.nodes().size();
        long[] counts = new long[n];
        SplittableRandom rnd = new SplittableRandom(seed);
        ClientKeys ck = ClientKeys.address();
        for (int i = 0; i < keys; i++) {
            counts[h.ownerIndex(ck.ipv4(rnd.nextInt(), 0))]++;
        }
        double avg = (double) keys / n;
        long peak = 0;
        double var = 0;
        for (long c : counts) {
            peak = Math.max(peak, c);
            var += (c - avg) * (c - avg);
        }
        return new double[] {peak / avg, Math.sqrt(var / n) / avg};
    }

    public static List<Node> members(String prefix, int n) {
        List<Node> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(Node.of(prefix + i));
        }
        return list;
    }

    /** peak/avg of the exact key-space shares ({@link ConsistentHash#shares()}), free of sampling noise. */
    public static double exactPeak(ConsistentHash h) {
        double max = 0;
        for (double v : h.shares()) {
            max = Math.max(max, v);
        }
        return max * h.nodes().size();
    }

    /** The sampling floor: peak/avg and std/avg when each key picks a member uniformly at random. */
    static double[] ideal(int n, int keys, long seed) {
        long[] counts = new long[n];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < keys; i++) {
            counts[rnd.nextInt(n)]++;
        }
        double avg = (double) keys / n;
        long peak = 0;
        double var = 0;
        for (long c : counts) {
            peak = Math.max(peak, c);
            var += (c - avg) * (c - avg);
        }
        return new double[] {peak / avg, Math.sqrt(var / n) / avg};
    }

    public static void main(String[] args) {
        System.out.printf(Locale.ROOT, "Balance at defaults: %d random IPv4 keys (seed 42), equal weights, members node-0..node-(N-1)%n%n", KEYS);
        System.out.println("| algorithm | N | peak/avg (1M keys) | std dev / avg (1M keys) | exact key-space peak/avg |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (HashAlgorithm a : HashAlgorithm.values()) {
            for (int n : SIZES) {
                ConsistentHash h = a.build(members("node-", n));
                double[] b = balance(h, KEYS, 42);
                System.out.printf(Locale.ROOT, "| %s | %d | %.4f | %.4f | %.4f |%n", a.cliName(), n, b[0], b[1], exactPeak(h));
            }
        }
        for (int n : SIZES) {
            double[] b = ideal(n, KEYS, 42);
            System.out.printf(Locale.ROOT, "| ideal (uniform random member) | %d | %.4f | %.4f | 1.0000 |%n", n, b[0], b[1]);
        }
        if (args.length > 0 && args[0].equals("--sweep")) {
            String[] prefixes = {"node-", "chat-", "10.0.0.", "n", "backend-", "host-a-", "x", "srv-",
                "ws-", "chat-node-", "m", "10.1.", "east-", "b", "pod-", "z-"};
            System.out.printf(Locale.ROOT, "%nRing vnodes sweep: worst exact key-space peak/avg over %d member-id sets (prefix + index)%n%n", prefixes.length);
            System.out.println("| vnodes | N=5 | N=10 | N=50 | N=100 | points at N=100 | est. bytes at N=100 |");
            System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
            for (int v : new int[] {100, 160, 250, 500, 750, 1000, 1500, 2000}) {
                StringBuilder row = new StringBuilder("| " + v + " |");
                long bytes = 0;
                for (int n : SIZES) {
                    double worst = 0;
                    for (String prefix : prefixes) {
                        ConsistentHash h = HashConfig.of(HashAlgorithm.RING).withVnodes(v).build(members(prefix, n));
                        worst = Math.max(worst, exactPeak(h));
                        bytes = ((io.stickyring.ring.RingHash) h).estimatedBytes();
                    }
                    row.append(String.format(Locale.ROOT, " %.4f |", worst));
                }
                row.append(" ").append(100L * v).append(" | ").append(bytes).append(" |");
                System.out.println(row);
            }
        }
    }
}
