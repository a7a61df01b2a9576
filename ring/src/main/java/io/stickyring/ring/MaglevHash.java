package io.stickyring.ring;

import com.google.common.math.IntMath;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer",
 * NSDI 2016, section 3.4): a lookup table of prime size M filled by letting members take turns
 * claiming their next free slot along their own permutation {@code (offset + j * skip) mod M},
 * where {@code offset = h1(id) mod M} and {@code skip = h2(id) mod (M-1) + 1}. A lookup is one
 * array read.
 *
 * <p>Weights: each round member i adds its weight to a credit and takes a turn whenever the
 * credit reaches the largest weight (then pays it back), so turns, hence slots, are in proportion
 * to weight; with equal weights this is the paper's round robin.
 *
 * <p>Invariant: every slot is owned; each member owns {@code M * w / sum(w)} slots to within
 * {@code 1 + n * w / sum(w)} (its own turn's rounding, and its share of the n members' rounding
 * of the table size). Disruption is near-minimal but not minimal: removing a member also moves a
 * small fraction of other members' slots (measured in docs/algorithms.md and bounded by a test).
 *
 * <p>Preference order: the owner, then the other members ranked by how early the key's slot
 * appears in their permutation, scaled by their turn rate ({@code position / weight}): the member
 * that a rebuild without the owner would most likely hand the slot to. It usually, not always,
 * equals the post-removal owner; the agreement rate is measured in docs/algorithms.md.
 */
public final class MaglevHash implements ConsistentHash {

    /** Default table size: the prime the paper uses for its small table. */
    public static final int DEFAULT_TABLE_SIZE = 65537;

    /** Largest table accepted: 2^24 slots (64 MB of int). */
    public static final int MAX_TABLE_SIZE = 1 << 24;

    private final List<Node> nodes;
    private final int m;
    private final int[] table;
    private final long[] offsets;
    private final long[] inverseSkips;
    private final int[] weights;

    public MaglevHash(Collection<Node> members) {
        this(members, DEFAULT_TABLE_SIZE);
    }

    public MaglevHash(Collection<Node> members, int tableSize) {
        checkTableSize(tableSize);
        this.nodes = Nodes.canonical(members);
        int n = nodes.size();
        if (tableSize < n) {
            throw new IllegalArgumentException("Maglev table size (" + tableSize
                    + ") must be >= the member count (" + n + ")");
        }
        this.m = tableSize;
        this.offsets = new long[n];
        this.inverseSkips = new long[n];
        this.weights = new int[n];
        int[] skips = new int[n];
        for (int i = 0; i < n; i++) {
            long[] h = Murmur3.id128(nodes.get(i).id());
            offsets[i] = Long.remainderUnsigned(h[0], m);
            skips[i] = (int) (Long.remainderUnsigned(h[1], m - 1) + 1);
            inverseSkips[i] = modInverse(skips[i], m);
            weights[i] = nodes.get(i).weight();
        }
        this.table = populate(n, skips);
    }

    static void checkTableSize(int tableSize) {
        if (tableSize < 2 || tableSize > MAX_TABLE_SIZE || !IntMath.isPrime(tableSize)) {
            throw new IllegalArgumentException("Maglev table size (" + tableSize
                    + ") must be a prime in 2.." + MAX_TABLE_SIZE);
        }
    }

    private int[] populate(int n, int[] skips) {
        int[] entry = new int[m];
        Arrays.fill(entry, -1);
        // Current permutation value per member, advanced by skip instead of recomputed.
        int[] cursor = new int[n];
        for (int i = 0; i < n; i++) {
            cursor[i] = (int) offsets[i];
        }
        long maxWeight = Nodes.maxWeight(nodes);
        long[] credit = new long[n];
        int filled = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                credit[i] += weights[i];
                if (credit[i] < maxWeight) {
                    continue;
                }
                credit[i] -= maxWeight;
                int c = cursor[i];
                while (entry[c] >= 0) {
                    c += skips[i];
                    if (c >= m) {
                        c -= m;
                    }
                }
                entry[c] = i;
                c += skips[i];
                cursor[i] = c >= m ? c - m : c;
                if (++filled == m) {
                    return entry;
                }
            }
        }
    }

    private static long modInverse(long a, long mod) {
        // Extended Euclid; mod is prime and 0 < a < mod, so the inverse exists.
        long t = 0;
        long newT = 1;
        long r = mod;
        long newR = a;
        while (newR != 0) {
            long q = r / newR;
            long tmp = t - q * newT;
            t = newT;
            newT = tmp;
            tmp = r - q * newR;
            r = newR;
            newR = tmp;
        }
        return t < 0 ? t + mod : t;
    }

    /** Slot of a key: the top 32 bits scaled to [0, M) (Lemire's multiply-shift, no division). */
    int slot(long key) {
        return (int) (((key >>> 32) * m) >>> 32);
    }

    @Override
    public List<Node> nodes() {
        return nodes;
    }

    @Override
    public int ownerIndex(long key) {
        return table[slot(key)];
    }

    /** Position of slot s in member i's permutation: j with offset + j*skip = s (mod M). */
    private long position(int i, int s) {
        long d = s - offsets[i];
        if (d < 0) {
            d += m;
        }
        return d * inverseSkips[i] % m;
    }

    /** True if member a ranks above member b as a fallback for slot s. */
    private boolean ranksAbove(int a, long posA, int b, long posB) {
        // posA / wA < posB / wB, compared exactly in integers; ties go to the lower index.
        long l = posA * weights[b];
        long r = posB * weights[a];
        return l < r || (l == r && a < b);
    }

    @Override
    public int preference(long key, int[] out) {
        int n = nodes.size();
        int want = Math.min(out.length, n);
        if (want == 0) {
            return 0;
        }
        int s = slot(key);
        int owner = table[s];
        out[0] = owner;
        long[] pos = new long[n];
        for (int i = 0; i < n; i++) {
            pos[i] = position(i, s);
        }
        boolean[] taken = new boolean[n];
        taken[owner] = true;
        for (int k = 1; k < want; k++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (!taken[i] && (best < 0 || ranksAbove(i, pos[i], best, pos[best]))) {
                    best = i;
                }
            }
            taken[best] = true;
            out[k] = best;
        }
        return want;
    }

    @Override
    public int firstAccepted(long key, IntPredicate accept) {
        int owner = ownerIndex(key);
        if (accept.test(owner)) {
            return owner;
        }
        int[] order = new int[nodes.size()];
        int n = preference(key, order);
        for (int i = 1; i < n; i++) {
            if (accept.test(order[i])) {
                return order[i];
            }
        }
        return -1;
    }

    @Override
    public double[] shares() {
        double[] share = new double[nodes.size()];
        // Each slot covers the keys whose top 32 bits map to it; slots differ in width by at most
        // one 2^-32 step, so count the exact top-32-bit range of every slot.
        for (int s = 0; s < m; s++) {
            long lo = ((long) s << 32) / m + ((((long) s << 32) % m) == 0 ? 0 : 1);
            long hi = (((long) (s + 1)) << 32) / m + (((((long) (s + 1)) << 32) % m) == 0 ? 0 : 1);
            share[table[s]] += (hi - lo) * 0x1.0p-32;
        }
        return share;
    }

    /** Table size M. */
    public int tableSize() {
        return m;
    }

    /** Number of table slots owned by each member, indexed like {@link #nodes()}. */
    public int[] slotCounts() {
        int[] counts = new int[nodes.size()];
        for (int owner : table) {
            counts[owner]++;
        }
        return counts;
    }

    /** Owner index of table slot s (for tests and the simulator). */
    public int slotOwner(int s) {
        return table[s];
    }

    /** Estimated retained bytes: the table and per-member arrays plus the node list. */
    @Override
    public long estimatedBytes() {
        return 16L + 4L * table.length + 48L + 20L * nodes.size() + 64L * nodes.size();
    }

    @Override
    public String algorithm() {
        return "maglev";
    }

    @Override
    public String toString() {
        return "MaglevHash[" + nodes.size() + " members, table " + m + "]";
    }
}
