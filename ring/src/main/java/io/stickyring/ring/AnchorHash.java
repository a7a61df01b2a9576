package io.stickyring.ring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * AnchorHash (Mendelson, Vargaftik, Barabash, Lorenz, Keslassy and Orda, "AnchorHash: A Scalable
 * Consistent Hash", IEEE/ACM Transactions on Networking 29(2), 2021; arXiv 1812.09674), as an
 * immutable value. An anchor of {@code a} buckets (the capacity, {@link #DEFAULT_CAPACITY} by
 * default) holds the working buckets W; a member of weight w owns w of them. Lookup (the paper's
 * GETBUCKET): {@code b = H(k) mod a}; while b is removed, rehash the key uniformly into the working
 * set as it was just after b's removal ({@code h = H_b(k) mod A[b]}, then follow the replacement
 * chain K to the bucket that held position h at that time). Arrays A, K, W, L and the removal stack
 * R are the paper's (INITANCHOR, ADDBUCKET, REMOVEBUCKET), ported from its pseudo-code.
 *
 * <p>Invariants, exact for the transitions {@link #without(String)} and {@link #with(Node)} (the
 * paper's REMOVEBUCKET and ADDBUCKET): removing any member moves only its keys, each to its first
 * fallback; adding a member moves keys only to it; removing then re-adding the same member restores
 * the mapping. Every working bucket gets a key with probability 1/|W| whatever the history.
 *
 * <p><b>The mapping depends on the order of changes, not only on the member set</b> (the paper's
 * authors: all instances "must maintain consensus on the ordering of changes to the working set").
 * The constructor builds the paper's initial state for a member set (INITANCHOR(a, total weight),
 * members in id order on buckets 0, 1, ...): a pure function of the set, but two sets built
 * independently relate like jump hash, minimally only when the member whose id sorts last joins or
 * leaves. That is why {@link HashAlgorithm#ANCHOR} is not offered to the LB, whose instances each
 * build from a membership snapshot and must agree (lb's HashFactory contract); ring-sim follows a
 * scenario's history through {@link #next(Collection)}.
 *
 * <p>Hashes: {@code H(k) = fmix64(k)} and {@code H_b(k) = fmix64(k + (b+1) * 0x9E3779B97F4A7C15)},
 * both reduced with an unsigned remainder (bias below 2^-43 for a <= 2^20). Worked example: a = 4,
 * members x, y on buckets 0, 1; buckets 3 then 2 removed with A[3] = 3, A[2] = 2. A key with
 * H(k) mod 4 = 3 rehashes into positions {0, 1, 2} of W_3 = {0, 1, 2}; if it draws 2, bucket 2 is
 * removed too (A[2] = 2 < 3: removed later), so it rehashes into {0, 1} and lands on x or y.
 *
 * <p>Expected hash computations per lookup: {@code 1 + sum_{i=w+1..a} 1/i <= 1 + ln(a/w)} for w
 * working buckets, whatever the removal order (the key sits uniformly on the working set at each
 * removal); {@link #hashCount(long)} counts them for ring-sim's {@code anchor} preset.
 */
public final class AnchorHash implements ConsistentHash {

    /** Default anchor size a: room for a total weight of 1024; 10 equal members take ~5.6 hashes per lookup. */
    public static final int DEFAULT_CAPACITY = 1024;
    /** Largest anchor (six ints per bucket: 24 MB). */
    public static final int MAX_CAPACITY = 1 << 20;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final List<Node> nodes;
    /** A[b]: 0 if b is working, else |W| just after b's removal (>= 1). */
    private final int[] anchor;
    /** K[b]: the bucket that took b's position in W when b was removed (b itself while working). */
    private final int[] successor;
    /** W: positions 0..size-1 hold the working buckets. */
    private final int[] working;
    /** L[b]: b's most recent position in W. */
    private final int[] location;
    /** R: removed buckets, most recent last; removedCount of them. */
    private final int[] removed;
    private final int removedCount;
    /** N = |W|. */
    private final int size;
    /** bucket -> index into nodes, -1 when the bucket is removed. */
    private final int[] bucketOwner;

    public AnchorHash(Collection<Node> members) {
        this(members, DEFAULT_CAPACITY);
    }

    /** INITANCHOR(capacity, total weight), members in id order on consecutive buckets from 0. */
    public AnchorHash(Collection<Node> members, int capacity) {
        checkCapacity(capacity);
        this.nodes = Nodes.canonical(members);
        long total = Nodes.totalWeight(nodes);
        if (total > capacity) {
            throw new IllegalArgumentException("total weight (" + total + ") must be <= anchor capacity (" + capacity + ")");
        }
        int a = capacity;
        this.anchor = new int[a];
        this.successor = new int[a];
        this.working = new int[a];
        this.location = new int[a];
        this.removed = new int[a];
        this.bucketOwner = new int[a];
        for (int b = 0; b < a; b++) {
            successor[b] = b;
            working[b] = b;
            location[b] = b;
        }
        this.size = (int) total;
        int r = 0;
        // The paper's initial removals, last bucket first: bucket b leaves when |W| = b.
        for (int b = a - 1; b >= size; b--) {
            removed[r++] = b;
            anchor[b] = b;
        }
        this.removedCount = r;
        Arrays.fill(bucketOwner, -1);
        int b = 0;
        for (int i = 0; i < nodes.size(); i++) {
            for (int k = 0; k < nodes.get(i).weight(); k++) {
                bucketOwner[b++] = i;
            }
        }
    }

    private AnchorHash(List<Node> nodes, int[] anchor, int[] successor, int[] working, int[] location, int[] removed,
                       int removedCount, int size, int[] bucketOwner) {
        this.nodes = nodes;
        this.anchor = anchor;
        this.successor = successor;
        this.working = working;
        this.location = location;
        this.removed = removed;
        this.removedCount = removedCount;
        this.size = size;
        this.bucketOwner = bucketOwner;
    }

    static void checkCapacity(int capacity) {
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("anchor capacity (" + capacity + ") must be in 1.." + MAX_CAPACITY);
        }
    }

    /** Anchor size a. */
    public int capacity() {
        return anchor.length;
    }

    /** Number of working buckets, the total weight. */
    public int workingBuckets() {
        return size;
    }

    private static int reduce(long h, int range) {
        return (int) Long.remainderUnsigned(h, range);
    }

    private static long rehash(long key, int b) {
        return Murmur3.fmix64(key + (b + 1L) * GOLDEN);
    }

    /** GETBUCKET: the working bucket of {@code key}. */
    private int bucket(long key) {
        int b = reduce(Murmur3.fmix64(key), anchor.length);
        while (anchor[b] > 0) {
            int h = reduce(rehash(key, b), anchor[b]);
            while (anchor[h] >= anchor[b]) {
                h = successor[h];
            }
            b = h;
        }
        return b;
    }

    /** Hash computations GETBUCKET makes for {@code key}: 1 plus one per removed bucket visited. */
    public int hashCount(long key) {
        int count = 1;
        int b = reduce(Murmur3.fmix64(key), anchor.length);
        while (anchor[b] > 0) {
            count++;
            int h = reduce(rehash(key, b), anchor[b]);
            while (anchor[h] >= anchor[b]) {
                h = successor[h];
            }
            b = h;
        }
        return count;
    }

    @Override
    public List<Node> nodes() {
        return nodes;
    }

    @Override
    public int ownerIndex(long key) {
        return bucketOwner[bucket(key)];
    }

    /**
     * This anchor with member {@code id}'s buckets removed (REMOVEBUCKET for each, highest bucket
     * first): only that member's keys move, each to its first fallback.
     *
     * @throws IllegalArgumentException if {@code id} is not a member or is the only one
     */
    public AnchorHash without(String id) {
        int idx = Nodes.indexOf(nodes, id);
        if (idx < 0) {
            throw new IllegalArgumentException("member '" + id + "' is not in the anchor");
        }
        if (nodes.size() == 1) {
            throw new IllegalArgumentException("member '" + id + "' is the only one: the anchor needs a working bucket");
        }
        Mutable m = new Mutable();
        for (int b = anchor.length - 1; b >= 0; b--) {
            if (m.owner[b] == idx) {
                m.remove(b);
            }
        }
        List<Node> rest = new ArrayList<>(nodes);
        rest.remove(idx);
        for (int b = 0; b < m.owner.length; b++) {
            if (m.owner[b] > idx) {
                m.owner[b]--;
            }
        }
        return m.freeze(List.copyOf(rest));
    }

    /**
     * This anchor with {@code node} added on the most recently removed buckets (ADDBUCKET, once per
     * unit of weight): keys move only to it.
     *
     * @throws IllegalArgumentException if the id is already a member or the anchor has too few free buckets
     */
    public AnchorHash with(Node node) {
        if (Nodes.indexOf(nodes, node.id()) >= 0) {
            throw new IllegalArgumentException("member '" + node.id() + "' is already in the anchor");
        }
        if (node.weight() > removedCount) {
            throw new IllegalArgumentException("total weight (" + ((long) size + node.weight())
                    + ") must be <= anchor capacity (" + anchor.length + ")");
        }
        List<Node> more = new ArrayList<>(nodes);
        more.add(node);
        List<Node> canon = Nodes.canonical(more);
        int idx = Nodes.indexOf(canon, node.id());
        Mutable m = new Mutable();
        for (int b = 0; b < m.owner.length; b++) {
            if (m.owner[b] >= idx) {
                m.owner[b]++;
            }
        }
        for (int k = 0; k < node.weight(); k++) {
            m.owner[m.add()] = idx;
        }
        return m.freeze(canon);
    }

    /**
     * The anchor for {@code members} reached from this one by transitions: members that left or
     * changed weight are removed (in id order), then those that joined or changed weight are added
     * (in id order). A weight change thus takes back its own buckets first (LIFO), so it moves only
     * the keys its lost buckets held, or only keys to it.
     */
    public AnchorHash next(Collection<Node> members) {
        List<Node> target = Nodes.canonical(members);
        AnchorHash cur = this;
        for (Node n : nodes) {
            int j = Nodes.indexOf(target, n.id());
            if (j < 0 || target.get(j).weight() != n.weight()) {
                if (cur.nodes.size() == 1) {
                    // The last member cannot leave before a newcomer arrives: start afresh from the target.
                    return new AnchorHash(target, anchor.length);
                }
                cur = cur.without(n.id());
            }
        }
        for (Node n : target) {
            if (Nodes.indexOf(cur.nodes, n.id()) < 0) {
                cur = cur.with(n);
            }
        }
        return cur;
    }

    /** Copies of the arrays, changed by the paper's two update operations. */
    private final class Mutable {
        final int[] a = anchor.clone();
        final int[] k = successor.clone();
        final int[] w = working.clone();
        final int[] l = location.clone();
        final int[] r = removed.clone();
        final int[] owner = bucketOwner.clone();
        int rc = removedCount;
        int n = size;

        /** REMOVEBUCKET(b). */
        void remove(int b) {
            r[rc++] = b;
            n--;
            a[b] = n;
            int last = w[n];
            w[l[b]] = last;
            k[b] = last;
            l[last] = l[b];
            owner[b] = -1;
        }

        /** ADDBUCKET(): the most recently removed bucket. */
        int add() {
            int b = r[--rc];
            a[b] = 0;
            l[w[n]] = n;
            w[l[b]] = b;
            k[b] = b;
            n++;
            return b;
        }

        AnchorHash freeze(List<Node> members) {
            return new AnchorHash(members, a, k, w, l, r, rc, n, owner);
        }
    }

    /**
     * A lookup as if the given members' buckets had been removed, in that order, each member's
     * highest bucket first (exactly what {@link #without} does), recording only the changed
     * entries: the fallback path, off the common pick path.
     */
    private final class Excluding {
        private final Map<Integer, Integer> a = new HashMap<>();
        private final Map<Integer, Integer> k = new HashMap<>();
        private final Map<Integer, Integer> w = new HashMap<>();
        private final Map<Integer, Integer> l = new HashMap<>();
        private int n = size;

        private int get(Map<Integer, Integer> m, int[] base, int i) {
            Integer v = m.get(i);
            return v == null ? base[i] : v;
        }

        void exclude(int member) {
            for (int b = anchor.length - 1; b >= 0; b--) {
                if (bucketOwner[b] == member) {
                    n--;
                    a.put(b, n);
                    int last = get(w, working, n);
                    int pos = get(l, location, b);
                    w.put(pos, last);
                    k.put(b, last);
                    l.put(last, pos);
                }
            }
        }

        int owner(long key) {
            int b = reduce(Murmur3.fmix64(key), anchor.length);
            while (get(a, anchor, b) > 0) {
                int ab = get(a, anchor, b);
                int h = reduce(rehash(key, b), ab);
                while (get(a, anchor, h) >= ab) {
                    h = get(k, successor, h);
                }
                b = h;
            }
            return bucketOwner[b];
        }
    }

    @Override
    public int preference(long key, int[] out) {
        int want = Math.min(out.length, nodes.size());
        if (want == 0) {
            return 0;
        }
        out[0] = ownerIndex(key);
        Excluding view = new Excluding();
        for (int i = 1; i < want; i++) {
            view.exclude(out[i - 1]);
            out[i] = view.owner(key);
        }
        return want;
    }

    @Override
    public int firstAccepted(long key, IntPredicate accept) {
        int o = ownerIndex(key);
        if (accept.test(o)) {
            return o;
        }
        Excluding view = new Excluding();
        for (int i = 1; i < nodes.size(); i++) {
            view.exclude(o);
            o = view.owner(key);
            if (accept.test(o)) {
                return o;
            }
        }
        return -1;
    }

    /** Expected shares, weight / total weight: each working bucket gets a key with probability 1/|W|. */
    @Override
    public double[] shares() {
        return Nodes.weightShares(nodes);
    }

    /** Six int arrays of the anchor size (A, K, W, L, R, owners) plus the node list. */
    @Override
    public long estimatedBytes() {
        return 6 * (16L + 4L * anchor.length) + 64L * nodes.size();
    }

    @Override
    public String algorithm() {
        return "anchor";
    }

    @Override
    public String toString() {
        return "AnchorHash[" + nodes.size() + " members, " + size + " of " + anchor.length + " buckets working]";
    }
}
