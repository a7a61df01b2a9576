package io.stickyring.ring;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Ketama-style consistent hashing ring: every member owns {@code weight * vnodesPerWeight} points,
 * point {@code r} of member {@code id} being the first 64 bits of murmur3_128(UTF-8 id, int r).
 * A key belongs to the member owning the first point at or after it (signed order), wrapping to
 * the smallest point past the end.
 *
 * <p>Invariant: a point's position depends only on its member's id and replica index, so removing
 * a member remaps only the keys that member owned (to the next point clockwise, which is also the
 * key's first fallback in {@link #preference}), and adding one moves keys only to it. Equal
 * points (a 64-bit collision) are ordered by member index, i.e. by id, so the lower id wins and
 * the other is the next point clockwise.
 *
 * <p>Layout (12 bytes per point): a hot {@code long[]} packing each sorted point's top 32 bits
 * with its owner index, which decides every comparison except the rare one whose top 32 bits
 * equal the key's and gives the owner from the same cache line, and a cold {@code int[]} of the
 * points' low 32 bits for those ties; plus a bucket index over the key's top bits (about one
 * bucket per point, at most 2^20 buckets = 4 MB) that narrows the binary search to one or two
 * points, so a lookup reads about two cache lines at any size.
 */
public final class RingHash implements ConsistentHash {

    /** Default virtual nodes per unit of weight; chosen from the balance measurement in docs/algorithms.md. */
    public static final int DEFAULT_VNODES = 1500;

    /** Largest ring accepted (points = total weight x vnodes): 12 bytes each, so about 200 MB. */
    public static final int MAX_POINTS = 1 << 24;

    private final List<Node> nodes;
    private final int vnodesPerWeight;
    /** {@code top 32 bits of point i << 32 | owner of point i}, points sorted (signed), ties by owner. */
    private final long[] packed;
    /** Low 32 bits of point i; read only when the top 32 bits tie with the key's. */
    private final int[] low;
    private final int size;
    /** bucket b covers keys whose top {@code indexBits} bits (sign flipped) equal b; value = lower bound. */
    private final int[] bucketStart;
    private final int indexShift;

    /** A ring with {@link #DEFAULT_VNODES} virtual nodes per unit of weight. */
    public RingHash(Collection<Node> members) {
        this(members, DEFAULT_VNODES);
    }

    public RingHash(Collection<Node> members, int vnodesPerWeight) {
        if (vnodesPerWeight < 1) {
            throw new IllegalArgumentException("vnodes (" + vnodesPerWeight + ") must be >= 1");
        }
        this.nodes = Nodes.canonical(members);
        this.vnodesPerWeight = vnodesPerWeight;
        long total = Nodes.totalWeight(nodes) * vnodesPerWeight;
        if (total > MAX_POINTS) {
            throw new IllegalArgumentException("ring size (" + total + " points = total weight "
                    + Nodes.totalWeight(nodes) + " x vnodes " + vnodesPerWeight + ") must be <= " + MAX_POINTS);
        }
        int size = (int) total;
        long[] pts = new long[size];
        int[] own = new int[size];
        int p = 0;
        for (int i = 0; i < nodes.size(); i++) {
            Murmur3.IdHasher hasher = new Murmur3.IdHasher(nodes.get(i).id());
            int replicas = nodes.get(i).weight() * vnodesPerWeight;
            for (int r = 0; r < replicas; r++) {
                pts[p] = hasher.hash(r);
                own[p++] = i;
            }
        }
        // Stable sort by point: the input is in member index (id) order, so equal points stay
        // ordered by id, the tie-break we promise.
        radixSort(pts, own);
        long[] sorted = pts;
        this.size = size;
        this.packed = new long[size];
        this.low = new int[size];
        for (int i = 0; i < size; i++) {
            packed[i] = (sorted[i] & 0xffffffff00000000L) | own[i];
            low[i] = (int) sorted[i];
        }
        // About one bucket per point, at most 2^20 buckets (4 MB), so each binary search covers ~1-2 points.
        int bits = Math.max(1, Math.min(20, 32 - Integer.numberOfLeadingZeros(size)));
        this.indexShift = 64 - bits;
        int buckets = 1 << bits;
        int[] start = new int[buckets + 1];
        int q = 0;
        for (int b = 0; b < buckets; b++) {
            while (q < size && bucketOf(sorted[q]) < b) {
                q++;
            }
            start[b] = q;
        }
        start[buckets] = size;
        this.bucketStart = start;
    }

    /** LSD radix sort of signed longs, 8 bits per pass, carrying the owners along; stable. */
    private static void radixSort(long[] keys, int[] vals) {
        int n = keys.length;
        long[] srcK = keys;
        int[] srcV = vals;
        long[] dstK = new long[n];
        int[] dstV = new int[n];
        int[] count = new int[257];
        for (int shift = 0; shift < 64; shift += 8) {
            Arrays.fill(count, 0);
            // The top byte gets its sign bit flipped so negative points sort first.
            long flip = shift == 56 ? 0x80 : 0;
            for (int i = 0; i < n; i++) {
                count[(int) (((srcK[i] >>> shift) & 0xff) ^ flip) + 1]++;
            }
            for (int b = 0; b < 256; b++) {
                count[b + 1] += count[b];
            }
            for (int i = 0; i < n; i++) {
                int to = count[(int) (((srcK[i] >>> shift) & 0xff) ^ flip)]++;
                dstK[to] = srcK[i];
                dstV[to] = srcV[i];
            }
            long[] tk = srcK;
            srcK = dstK;
            dstK = tk;
            int[] tv = srcV;
            srcV = dstV;
            dstV = tv;
        }
        // Eight passes: the sorted data is back in the caller's arrays.
    }

    private int bucketOf(long key) {
        // Flipping the sign bit maps signed order onto unsigned order of the top bits.
        return (int) ((key ^ Long.MIN_VALUE) >>> indexShift);
    }

    /** Index of the first point >= key, or size when the key is past the last point. */
    private int lowerBound(long key) {
        int b = bucketOf(key);
        int lo = bucketStart[b];
        int hi = bucketStart[b + 1];
        int keyHigh = (int) (key >> 32);
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            int pointHigh = (int) (packed[mid] >> 32);
            if (pointHigh < keyHigh || (pointHigh == keyHigh && Integer.compareUnsigned(low[mid], (int) key) < 0)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    @Override
    public List<Node> nodes() {
        return nodes;
    }

    @Override
    public int ownerIndex(long key) {
        int i = lowerBound(key);
        return (int) packed[i == size ? 0 : i];
    }

    @Override
    public int preference(long key, int[] out) {
        int want = Math.min(out.length, nodes.size());
        if (want == 0) {
            return 0;
        }
        boolean[] seen = new boolean[nodes.size()];
        int i = lowerBound(key);
        int count = 0;
        for (int steps = 0; steps < size && count < want; steps++, i++) {
            if (i >= size) {
                i = 0;
            }
            int o = (int) packed[i];
            if (!seen[o]) {
                seen[o] = true;
                out[count++] = o;
            }
        }
        return count;
    }

    @Override
    public int firstAccepted(long key, IntPredicate accept) {
        int n = nodes.size();
        int i = lowerBound(key);
        // Rejected members are remembered in a small bitmap only once more than one is seen,
        // so the common case (owner accepted) allocates nothing.
        long[] rejected = null;
        int rejectedCount = 0;
        int first = -1;
        for (int steps = 0; steps < size; steps++, i++) {
            if (i >= size) {
                i = 0;
            }
            int o = (int) packed[i];
            if (o == first || (rejected != null && (rejected[o >>> 6] & (1L << o)) != 0)) {
                continue;
            }
            if (accept.test(o)) {
                return o;
            }
            if (first < 0) {
                first = o;
            } else {
                if (rejected == null) {
                    rejected = new long[(n + 63) >>> 6];
                }
                rejected[o >>> 6] |= 1L << o;
            }
            if (++rejectedCount == n) {
                return -1;
            }
        }
        return -1;
    }

    @Override
    public double[] shares() {
        // Point i owns the arc (points[i-1], points[i]]; the first point also owns the wrap-around arc.
        double[] share = new double[nodes.size()];
        double two64 = 0x1.0p64;
        for (int i = 0; i < size; i++) {
            long prev = point(i == 0 ? size - 1 : i - 1);
            long arc = point(i) - prev; // modulo 2^64, read as unsigned
            double len = size == 1 ? two64 : unsigned(arc);
            share[pointOwner(i)] += len / two64;
        }
        return share;
    }

    private static double unsigned(long v) {
        return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
    }

    /** Virtual nodes per unit of weight this ring was built with. */
    public int vnodesPerWeight() {
        return vnodesPerWeight;
    }

    /** Number of points on the ring (total weight x vnodes). */
    public int size() {
        return size;
    }

    /** The i-th point in sorted order (for tests and the simulator). */
    public long point(int i) {
        return (packed[i] & 0xffffffff00000000L) | (low[i] & 0xffffffffL);
    }

    /** Owner index of the i-th point in sorted order. */
    public int pointOwner(int i) {
        return (int) packed[i];
    }

    /** Estimated retained bytes: the point, owner and bucket arrays plus the node list. */
    @Override
    public long estimatedBytes() {
        return 16L + 8L * packed.length + 16L + 4L * low.length + 16L + 4L * bucketStart.length
                + 64L * nodes.size();
    }

    @Override
    public String algorithm() {
        return "ring";
    }

    @Override
    public String toString() {
        return "RingHash[" + nodes.size() + " members, " + size + " points]";
    }
}
