package io.stickyring.ring;

import com.google.common.hash.Hashing;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Jump consistent hash (Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm",
 * 2014) through Guava's {@code Hashing.consistentHash(long, int)}, over buckets laid out in id
 * order, a member of weight w taking w consecutive buckets.
 *
 * <p>Kept for study only and not offered to the LB: jump hashing maps keys to bucket numbers
 * 0..B-1, and only growing or shrinking B at the end is minimally disruptive. Removing any member
 * but the last (in id order) renumbers every bucket after it and moves keys between surviving
 * members; removing the last one moves only its keys. Adding a member whose id sorts last moves
 * about w/(B+w) of the keys, all to it; any other id shifts later members' buckets.
 *
 * <p>Preference order: the owner, then the owner of the key among the remaining buckets with the
 * owner's buckets taken out, and so on. Its first fallback equals the post-removal owner whenever
 * the removed owner is the last member.
 */
public final class JumpHash implements ConsistentHash {

    private final List<Node> nodes;
    /** bucket -> member index; members in id order, weight w occupying w consecutive buckets. */
    private final int[] bucketOwner;

    public JumpHash(Collection<Node> members) {
        this.nodes = Nodes.canonical(members);
        long total = Nodes.totalWeight(nodes);
        if (total > RingHash.MAX_POINTS) {
            throw new IllegalArgumentException("total weight (" + total + ") must be <= " + RingHash.MAX_POINTS);
        }
        this.bucketOwner = new int[(int) total];
        int b = 0;
        for (int i = 0; i < nodes.size(); i++) {
            for (int k = 0; k < nodes.get(i).weight(); k++) {
                bucketOwner[b++] = i;
            }
        }
    }

    @Override
    public List<Node> nodes() {
        return nodes;
    }

    @Override
    public int ownerIndex(long key) {
        return bucketOwner[Hashing.consistentHash(key, bucketOwner.length)];
    }

    @Override
    public int preference(long key, int[] out) {
        int want = Math.min(out.length, nodes.size());
        List<Integer> buckets = new ArrayList<>(bucketOwner.length);
        for (int owner : bucketOwner) {
            buckets.add(owner);
        }
        for (int k = 0; k < want; k++) {
            int owner = buckets.get(Hashing.consistentHash(key, buckets.size()));
            out[k] = owner;
            buckets.removeIf(o -> o == owner);
        }
        return want;
    }

    @Override
    public double[] shares() {
        double[] share = new double[nodes.size()];
        for (int owner : bucketOwner) {
            share[owner] += 1.0 / bucketOwner.length;
        }
        return share;
    }

    /** Estimated retained bytes: the bucket array plus the node list. */
    @Override
    public long estimatedBytes() {
        return 16L + 4L * bucketOwner.length + 64L * nodes.size();
    }

    @Override
    public String algorithm() {
        return "jump";
    }

    @Override
    public String toString() {
        return "JumpHash[" + nodes.size() + " members, " + bucketOwner.length + " buckets]";
    }
}
