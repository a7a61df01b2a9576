package io.stickyring.ring;

import java.util.Collection;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Weighted rendezvous (highest random weight) hashing: each member scores every key and the
 * highest score wins. The score is {@code w / -ln(u)} with {@code u} in (0,1) a per-(member, key)
 * hash, the logarithmic method of Schindelhauer and Schomaker ("Weighted distributed hash tables",
 * SPAA 2005; also Resch, "New hashing algorithms for data storage"): {@code -ln(u)/w} is an
 * exponential variable of rate {@code w}, so member i wins with probability exactly
 * {@code w_i / sum(w)}.
 *
 * <p>Invariant: a member's score for a key depends only on its own id, weight and the key, so the
 * ranking of the others never changes when one joins or leaves: removal moves only the removed
 * member's keys, each to its second-ranked member (= its first fallback), and a join moves keys
 * only to the newcomer. Ties (equal score, then equal u) go to the lower index, i.e. lower id.
 *
 * <p>Cost: O(N) per lookup (one mix per member, plus one {@code log} per member when weights
 * differ; with equal weights the score is monotone in u and the log is skipped).
 */
public final class RendezvousHash implements ConsistentHash {

    private final List<Node> nodes;
    private final long[] seeds;
    private final double[] weights;
    private final boolean equalWeights;

    public RendezvousHash(Collection<Node> members) {
        this(members, true);
    }

    /** {@code fastPath = false} forces the logarithmic score even for equal weights (tests compare the two). */
    RendezvousHash(Collection<Node> members, boolean fastPath) {
        this.nodes = Nodes.canonical(members);
        int n = nodes.size();
        this.seeds = new long[n];
        this.weights = new double[n];
        for (int i = 0; i < n; i++) {
            seeds[i] = Murmur3.id128(nodes.get(i).id())[0];
            weights[i] = nodes.get(i).weight();
        }
        this.equalWeights = fastPath && Nodes.equalWeights(nodes);
    }

    /** 53-bit uniform draw for (member i, key); u = (draw + 0.5) / 2^53 lies strictly inside (0,1). */
    private long draw(int i, long key) {
        return Murmur3.fmix64(Murmur3.fmix64(key ^ seeds[i]) + seeds[i]) >>> 11;
    }

    private double score(int i, long draw) {
        double u = (draw + 0.5) * 0x1.0p-53;
        return weights[i] / -Math.log(u);
    }

    /** True if member a (score sa, draw da) ranks above member b; a < b by index. */
    private static boolean beats(double sa, long da, double sb, long db) {
        return sa > sb || (sa == sb && da > db);
    }

    @Override
    public List<Node> nodes() {
        return nodes;
    }

    @Override
    public int ownerIndex(long key) {
        int n = seeds.length;
        int best = 0;
        long bestDraw = draw(0, key);
        if (equalWeights) {
            for (int i = 1; i < n; i++) {
                long d = draw(i, key);
                if (d > bestDraw) {
                    best = i;
                    bestDraw = d;
                }
            }
            return best;
        }
        double bestScore = score(0, bestDraw);
        for (int i = 1; i < n; i++) {
            long d = draw(i, key);
            double s = score(i, d);
            if (beats(s, d, bestScore, bestDraw)) {
                best = i;
                bestScore = s;
                bestDraw = d;
            }
        }
        return best;
    }

    @Override
    public int preference(long key, int[] out) {
        int n = seeds.length;
        int want = Math.min(out.length, n);
        long[] draws = new long[n];
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            draws[i] = draw(i, key);
            scores[i] = equalWeights ? draws[i] : score(i, draws[i]);
        }
        boolean[] taken = new boolean[n];
        // Selection of the top `want`: O(N * want), fine for the short lists callers ask for.
        for (int k = 0; k < want; k++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (!taken[i] && (best < 0 || beats(scores[i], draws[i], scores[best], draws[best]))) {
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
        int[] order = new int[seeds.length];
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
        double total = Nodes.totalWeight(nodes);
        double[] share = new double[nodes.size()];
        for (int i = 0; i < share.length; i++) {
            share[i] = weights[i] / total;
        }
        return share;
    }

    @Override
    public String algorithm() {
        return "rendezvous";
    }

    /** Estimated retained bytes: seed and weight arrays plus the node list. */
    @Override
    public long estimatedBytes() {
        return 32L + 16L * seeds.length + 64L * nodes.size();
    }

    @Override
    public String toString() {
        return "RendezvousHash[" + nodes.size() + " members]";
    }
}
