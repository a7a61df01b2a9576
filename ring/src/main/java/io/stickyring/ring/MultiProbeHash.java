package io.stickyring.ring;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Multi-probe consistent hashing (Appleton and O'Reilly, "Multi-probe consistent hashing",
 * arXiv 1505.00062, 2015): every member has one point per unit of weight on a 64-bit ring (the
 * same murmur3 points as {@link RingHash} with one virtual node), and a key is hashed {@code k}
 * times; each probe finds its successor point, and the key goes to the point closest to its probe
 * (smallest clockwise distance). The paper's result: a peak-to-average load of {@code 1 + epsilon}
 * with {@code 1 + 1/epsilon} probes and no virtual nodes, e.g. 21 probes for 1.05.
 *
 * <p>Invariant: removing a member remaps only its keys (other probes' successors can only move
 * further away, so the winning point stays the winner), and adding one moves keys only to it.
 * {@link #preference} ranks members by re-running the lookup with the earlier ones' points taken
 * out, so the first fallback is the owner after the owner's removal.
 *
 * <p>Probe {@code j} of key {@code x} is {@code fmix64(x + (j+1) * 0x9E3779B97F4A7C15)}, a
 * bijection per j over the 64-bit key. Example: with points at 100 (member a) and 1000 (member b),
 * probes at 90 and 950 have distances 10 (to a) and 50 (to b): a wins.
 */
public final class MultiProbeHash implements ConsistentHash {

    /** The paper's example: 21 probes for a peak-to-average of about 1.05. */
    public static final int DEFAULT_PROBES = 21;
    /** Upper limit on probes per lookup (each is a binary search). */
    public static final int MAX_PROBES = 1024;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final List<Node> nodes;
    private final int probes;
    /** Points sorted signed, ties by owner index. */
    private final long[] points;
    private final int[] owners;

    public MultiProbeHash(Collection<Node> members) {
        this(members, DEFAULT_PROBES);
    }

    public MultiProbeHash(Collection<Node> members, int probes) {
        checkProbes(probes);
        this.nodes = Nodes.canonical(members);
        this.probes = probes;
        long total = Nodes.totalWeight(nodes);
        if (total > RingHash.MAX_POINTS) {
            throw new IllegalArgumentException("total weight (" + total + ") must be <= " + RingHash.MAX_POINTS);
        }
        int size = (int) total;
        long[] pts = new long[size];
        int[] own = new int[size];
        Integer[] order = new Integer[size];
        int p = 0;
        for (int i = 0; i < nodes.size(); i++) {
            Murmur3.IdHasher hasher = new Murmur3.IdHasher(nodes.get(i).id());
            for (int r = 0; r < nodes.get(i).weight(); r++) {
                pts[p] = hasher.hash(r);
                own[p] = i;
                order[p] = p;
                p++;
            }
        }
        Arrays.sort(order, (x, y) -> pts[x] != pts[y] ? Long.compare(pts[x], pts[y]) : Integer.compare(own[x], own[y]));
        this.points = new long[size];
        this.owners = new int[size];
        for (int i = 0; i < size; i++) {
            points[i] = pts[order[i]];
            owners[i] = own[order[i]];
        }
    }

    static void checkProbes(int probes) {
        if (probes < 1 || probes > MAX_PROBES) {
            throw new IllegalArgumentException("probes (" + probes + ") must be in 1.." + MAX_PROBES);
        }
    }

    static long probe(long key, int j) {
        return Murmur3.fmix64(key + (j + 1) * GOLDEN);
    }

    /** Index of the first point >= h (signed), wrapping to 0. */
    private int successor(long h) {
        int lo = 0;
        int hi = points.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (points[mid] < h) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == points.length ? 0 : lo;
    }

    @Override
    public List<Node> nodes() {
        return nodes;
    }

    public int probes() {
        return probes;
    }

    @Override
    public int ownerIndex(long key) {
        long best = -1; // unsigned max
        int owner = 0;
        for (int j = 0; j < probes; j++) {
            long h = probe(key, j);
            int s = successor(h);
            long d = points[s] - h; // clockwise distance modulo 2^64
            if (Long.compareUnsigned(d, best) < 0) {
                best = d;
                owner = owners[s];
            }
        }
        return owner;
    }

    /** The owner with the members in {@code excluded} taken out, or -1 if all are excluded. */
    private int ownerExcluding(long key, boolean[] excluded) {
        long best = -1;
        int owner = -1;
        for (int j = 0; j < probes; j++) {
            long h = probe(key, j);
            int s = successor(h);
            for (int steps = 0; steps < points.length && excluded[owners[s]]; steps++) {
                s = s + 1 == points.length ? 0 : s + 1;
            }
            if (excluded[owners[s]]) {
                return -1;
            }
            long d = points[s] - h;
            if (owner < 0 || Long.compareUnsigned(d, best) < 0) {
                best = d;
                owner = owners[s];
            }
        }
        return owner;
    }

    @Override
    public int preference(long key, int[] out) {
        int want = Math.min(out.length, nodes.size());
        boolean[] excluded = new boolean[nodes.size()];
        for (int k = 0; k < want; k++) {
            int o = k == 0 ? ownerIndex(key) : ownerExcluding(key, excluded);
            out[k] = o;
            excluded[o] = true;
        }
        return want;
    }

    @Override
    public int firstAccepted(long key, IntPredicate accept) {
        int o = ownerIndex(key);
        if (accept.test(o)) {
            return o;
        }
        boolean[] excluded = new boolean[nodes.size()];
        for (int k = 1; k < nodes.size(); k++) {
            excluded[o] = true;
            o = ownerExcluding(key, excluded);
            if (accept.test(o)) {
                return o;
            }
        }
        return -1;
    }

    /**
     * The expected share over random member ids, {@code weight / total weight}; a given member
     * set deviates from it by up to the peak-to-average the probes allow (measure it with ring-sim).
     */
    @Override
    public double[] shares() {
        return Nodes.weightShares(nodes);
    }

    @Override
    public long estimatedBytes() {
        return 16L + 8L * points.length + 16L + 4L * owners.length + 64L * nodes.size();
    }

    @Override
    public String algorithm() {
        return "multiprobe";
    }

    @Override
    public String toString() {
        return "MultiProbeHash[" + nodes.size() + " members, " + probes + " probes]";
    }
}
