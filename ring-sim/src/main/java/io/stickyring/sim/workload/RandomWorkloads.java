package io.stickyring.sim.workload;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The synthetic workloads. Each draws from its own {@link SplittableRandom} seeded by the run seed,
 * so a run is reproducible bit for bit.
 */
final class RandomWorkloads {

    private RandomWorkloads() {
    }

    /** {@code n} clients with uniformly random 4- or 16-byte addresses. */
    record Uniform(String spec, int bytes, int n) implements Workload {
        @Override
        public KeySet generate(ClientKeyFunction f, long seed) {
            SplittableRandom rnd = new SplittableRandom(seed);
            long[] keys = new long[n];
            byte[] a = new byte[bytes];
            for (int i = 0; i < n; i++) {
                randomBytes(rnd, a);
                keys[i] = f.key(a);
            }
            return new KeySet(spec + " (" + n + " clients)", keys, null, null);
        }
    }

    /**
     * {@code users} users behind {@code nats} random IPv4 NAT addresses; the address of each user
     * is drawn by Zipf rank (P(rank r) proportional to 1/r^s), so a few carrier NATs carry most
     * users. One key per NAT address that got at least one user, weighted by its user count.
     */
    record ZipfNat(String spec, int users, int nats, double s) implements Workload {
        @Override
        public KeySet generate(ClientKeyFunction f, long seed) {
            SplittableRandom rnd = new SplittableRandom(seed);
            double[] cdf = new double[nats];
            double sum = 0;
            for (int r = 0; r < nats; r++) {
                sum += 1.0 / Math.pow(r + 1, s);
                cdf[r] = sum;
            }
            int[] perRank = new int[nats];
            for (int u = 0; u < users; u++) {
                double x = rnd.nextDouble() * sum;
                int r = Arrays.binarySearch(cdf, x);
                perRank[r < 0 ? -r - 1 : r]++;
            }
            // Distinct addresses, one per rank: draw until unique (collisions are rare in 2^32).
            Map<Integer, Boolean> seen = new HashMap<>();
            int used = 0;
            for (int c : perRank) {
                used += c > 0 ? 1 : 0;
            }
            long[] keys = new long[used];
            int[] counts = new int[used];
            byte[] a = new byte[4];
            int k = 0;
            for (int r = 0; r < nats; r++) {
                int ip;
                do {
                    ip = rnd.nextInt();
                } while (seen.putIfAbsent(ip, Boolean.TRUE) != null);
                if (perRank[r] == 0) {
                    continue;
                }
                a[0] = (byte) (ip >>> 24);
                a[1] = (byte) (ip >>> 16);
                a[2] = (byte) (ip >>> 8);
                a[3] = (byte) ip;
                keys[k] = f.key(a);
                counts[k] = perRank[r];
                k++;
            }
            return new KeySet(spec + " (" + users + " users on " + used + " NAT addresses)", keys, counts, null);
        }
    }

    /**
     * {@code n} clients keyed by their network prefix: the address is masked to {@code prefixBits}
     * before the key function sees it, so every client in a /24 (or /64) shares one key. With
     * {@code prefixes > 0} the clients are spread over that many random prefixes.
     */
    record Prefix(String spec, int bytes, int prefixBits, int n, int prefixes) implements Workload {
        @Override
        public KeySet generate(ClientKeyFunction f, long seed) {
            SplittableRandom rnd = new SplittableRandom(seed);
            // Both /24 and /64 fit in a long: draw prefixes as numbers, then sort and count runs,
            // which also makes the key order independent of any hash-map order.
            long mask = prefixBits == 64 ? -1L : (1L << prefixBits) - 1;
            long[] pool = null;
            if (prefixes > 0) {
                pool = new long[prefixes];
                for (int i = 0; i < prefixes; i++) {
                    pool[i] = rnd.nextLong() & mask;
                }
            }
            long[] drawn = new long[n];
            for (int i = 0; i < n; i++) {
                drawn[i] = pool != null ? pool[rnd.nextInt(prefixes)] : rnd.nextLong() & mask;
            }
            Arrays.sort(drawn);
            int distinct = 0;
            for (int i = 0; i < n; i++) {
                if (i == 0 || drawn[i] != drawn[i - 1]) {
                    distinct++;
                }
            }
            long[] keys = new long[distinct];
            int[] counts = new int[distinct];
            byte[] a = new byte[bytes];
            int prefixBytes = prefixBits / 8;
            int k = -1;
            for (int i = 0; i < n; i++) {
                if (i == 0 || drawn[i] != drawn[i - 1]) {
                    k++;
                    for (int j = 0; j < prefixBytes; j++) {
                        a[j] = (byte) (drawn[i] >>> (8 * (prefixBytes - 1 - j)));
                    }
                    keys[k] = f.key(a);
                }
                counts[k]++;
            }
            return new KeySet(spec + " (" + n + " clients in " + distinct + " /" + prefixBits + " prefixes)",
                    keys, counts, null);
        }
    }

    static void randomBytes(SplittableRandom rnd, byte[] a) {
        for (int i = 0; i < a.length; i += 8) {
            long v = rnd.nextLong();
            for (int j = 0; j < 8 && i + j < a.length; j++) {
                a[i + j] = (byte) (v >>> (8 * j));
            }
        }
    }
}
