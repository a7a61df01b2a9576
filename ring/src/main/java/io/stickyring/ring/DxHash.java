package io.stickyring.ring;

import java.util.Collection;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * DxHash (Dong and Wang, "DxHash: A Scalable Consistent Hash Based on the Pseudo-Random
 * Sequence", arXiv 2107.07930): a power-of-two array of slots, each member occupying one slot
 * per unit of weight; a key walks its own pseudo-random sequence of slots
 * ({@code fmix64(key + (i+1) * 0x9E3779B97F4A7C15) mod a}, i = 0, 1, ...) and goes to the first
 * occupied one. Memory is one int per slot; a lookup takes {@code a / occupied} probes on average.
 * The slot count a is fixed by configuration (default {@link #DEFAULT_SLOTS}, a power of two that
 * must be at least the total weight), not derived from the member set: a size that followed the
 * member count would reshuffle every key whenever it crossed a power of two. Like the paper's
 * upper bound on the cluster size, it trades lookup probes (a / total weight) for headroom.
 *
 * <p>Pure member-set variant: the paper's DxHash keeps slot numbers as state across changes,
 * which makes it exactly minimal. Here the slots are a function of the member set: member slot
 * {@code r} is the first free slot in the id's own sequence ({@code fmix64(murmur3(id, r) + t *
 * 0x9E3779B97F4A7C15) mod a}, t = 0, 1, ...), members placed in id order. Invariant: keys of
 * members that keep their slots stay put, so removing a member moves its keys plus, only when its
 * slot had pushed a later member off its first choice, that member's keys (like Maglev, near
 * minimal; {@code DxHashTest} bounds it). Adding one moves keys to it, plus the same exception.
 *
 * <p>Preference order: the owner, then the first occupied slot further along the key's sequence
 * whose member is not yet listed, and so on: the first fallback is the owner once the owner's
 * slots are emptied. After {@link #MAX_KEY_PROBES} misses the walk continues linearly from the
 * last slot, so every lookup ends.
 */
public final class DxHash implements ConsistentHash {

    static final int MAX_KEY_PROBES = 4096;
    /** Default slot count: room for a total weight of 1024; 10 equal members take ~100 probes per lookup. */
    public static final int DEFAULT_SLOTS = 1024;
    /** Largest slot count (4 MB of slots). */
    public static final int MAX_SLOTS = 1 << 20;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final List<Node> nodes;
    /** slot -> member index, -1 when empty. */
    private final int[] slots;
    private final int mask;

    public DxHash(Collection<Node> members) {
        this(members, DEFAULT_SLOTS);
    }

    public DxHash(Collection<Node> members, int slotCount) {
        checkSlots(slotCount);
        this.nodes = Nodes.canonical(members);
        long total = Nodes.totalWeight(nodes);
        if (total > slotCount) {
            throw new IllegalArgumentException("total weight (" + total + ") must be <= dxhash slots (" + slotCount + ")");
        }
        int a = slotCount;
        this.slots = new int[a];
        this.mask = a - 1;
        java.util.Arrays.fill(slots, -1);
        for (int i = 0; i < nodes.size(); i++) {
            Murmur3.IdHasher hasher = new Murmur3.IdHasher(nodes.get(i).id());
            for (int r = 0; r < nodes.get(i).weight(); r++) {
                long base = hasher.hash(r);
                for (long t = 0; ; t++) {
                    int s = (int) (Murmur3.fmix64(base + t * GOLDEN) & mask);
                    if (slots[s] < 0) {
                        slots[s] = i;
                        break;
                    }
                }
            }
        }
    }

    static void checkSlots(int slots) {
        if (slots < 1 || slots > MAX_SLOTS || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("dxhash slots (" + slots + ") must be a power of two in 1.." + MAX_SLOTS);
        }
    }

    private int slot(long key, int i) {
        return (int) (Murmur3.fmix64(key + (i + 1L) * GOLDEN) & mask);
    }

    /** The first slot in the key's walk whose member {@code accept} takes, or -1. */
    private int walk(long key, IntPredicate accept) {
        int s = 0;
        for (int i = 0; i < MAX_KEY_PROBES; i++) {
            s = slot(key, i);
            int o = slots[s];
            if (o >= 0 && accept.test(o)) {
                return o;
            }
        }
        for (int k = 1; k < slots.length; k++) {
            int o = slots[(s + k) & mask];
            if (o >= 0 && accept.test(o)) {
                return o;
            }
        }
        return -1;
    }

    @Override
    public List<Node> nodes() {
        return nodes;
    }

    /** Member index in slot {@code s}, or -1 if the slot is empty. */
    public int slotOwner(int s) {
        return slots[s];
    }

    /** Number of slots (a power of two). */
    public int slotCount() {
        return slots.length;
    }

    @Override
    public int ownerIndex(long key) {
        for (int i = 0; i < MAX_KEY_PROBES; i++) {
            int o = slots[slot(key, i)];
            if (o >= 0) {
                return o;
            }
        }
        return walk(key, o -> true);
    }

    @Override
    public int preference(long key, int[] out) {
        int want = Math.min(out.length, nodes.size());
        boolean[] seen = new boolean[nodes.size()];
        for (int k = 0; k < want; k++) {
            int o = walk(key, m -> !seen[m]);
            out[k] = o;
            seen[o] = true;
        }
        return want;
    }

    @Override
    public int firstAccepted(long key, IntPredicate accept) {
        int o = ownerIndex(key);
        if (accept.test(o)) {
            return o;
        }
        return walk(key, accept);
    }

    /** Expected shares: every occupied slot is equally likely to be a key's first, so slots / occupied. */
    @Override
    public double[] shares() {
        return Nodes.weightShares(nodes);
    }

    @Override
    public long estimatedBytes() {
        return 16L + 4L * slots.length + 64L * nodes.size();
    }

    @Override
    public String algorithm() {
        return "dxhash";
    }

    @Override
    public String toString() {
        return "DxHash[" + nodes.size() + " members, " + slots.length + " slots]";
    }
}
