package io.stickyring.ring;

import java.util.List;
import java.util.Objects;
import java.util.function.IntPredicate;

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, "Consistent Hashing
 * with Bounded Loads", SODA 2018, arXiv 1608.01350, 2016), as a decorator over any
 * {@link ConsistentHash}: a key goes to the first member in its preference order whose current
 * load is under its capacity {@code ceil(c * (total + 1) * w / W)}, where {@code total} is the
 * sum of loads, {@code w} the member's weight, {@code W} the total weight and {@code c > 1} the
 * balance factor. With equal weights that is the paper's {@code ceil(c * (total+1) / n)}.
 *
 * <p>Invariant: after placing one more item no member exceeds its capacity, so the peak load is
 * at most about c times the average. Because capacities sum to at least {@code c * (total+1)},
 * which is more than the current total, some member is always under its capacity and a pick
 * always succeeds. Stickiness is traded for balance only when the owner is full.
 *
 * <p>Example: 4 equal members holding 3, 1, 0, 0 items, c = 1.25: capacity =
 * ceil(1.25 * 5 / 4) = 2, so a key owned by the first member (load 3) goes to its first fallback
 * with load under 2.
 */
public final class BoundedLoadHash implements ConsistentHash {

    private final ConsistentHash base;
    private final double balanceFactor;
    private final LoadSource loads;
    /** Per-member share of capacity, {@code w / W}. */
    private final double[] weightShare;

    public BoundedLoadHash(ConsistentHash base, double balanceFactor, LoadSource loads) {
        this.base = Objects.requireNonNull(base, "base");
        this.loads = Objects.requireNonNull(loads, "loads");
        if (!(balanceFactor > 1.0) || Double.isInfinite(balanceFactor)) {
            throw new IllegalArgumentException("balance factor c (" + balanceFactor + ") must be a finite number > 1");
        }
        this.balanceFactor = balanceFactor;
        List<Node> nodes = base.nodes();
        double total = Nodes.totalWeight(nodes);
        this.weightShare = new double[nodes.size()];
        for (int i = 0; i < weightShare.length; i++) {
            weightShare[i] = nodes.get(i).weight() / total;
        }
    }

    /** Capacity of member {@code index} given the current total load (before placing the new item). */
    public int capacity(int index, int totalLoad) {
        return (int) Math.ceil(balanceFactor * (totalLoad + 1.0) * weightShare[index]);
    }

    public double balanceFactor() {
        return balanceFactor;
    }

    public ConsistentHash base() {
        return base;
    }

    @Override
    public List<Node> nodes() {
        return base.nodes();
    }

    @Override
    public int ownerIndex(long key) {
        int total = loads.total();
        int pick = base.firstAccepted(key, i -> loads.load(i) < capacity(i, total));
        // Only reachable if the load source's total disagrees with its loads: fall back to the owner.
        return pick >= 0 ? pick : base.ownerIndex(key);
    }

    @Override
    public int firstAccepted(long key, IntPredicate accept) {
        int total = loads.total();
        int pick = base.firstAccepted(key, i -> loads.load(i) < capacity(i, total) && accept.test(i));
        return pick >= 0 ? pick : base.firstAccepted(key, accept);
    }

    /** Members under capacity in the base preference order, then the full ones in that order. */
    @Override
    public int preference(long key, int[] out) {
        int n = base.nodes().size();
        int[] order = new int[n];
        int count = base.preference(key, order);
        int total = loads.total();
        int want = Math.min(out.length, count);
        int k = 0;
        for (int pass = 0; pass < 2 && k < want; pass++) {
            for (int i = 0; i < count && k < want; i++) {
                boolean under = loads.load(order[i]) < capacity(order[i], total);
                if (under == (pass == 0)) {
                    out[k++] = order[i];
                }
            }
        }
        return k;
    }

    /** The base algorithm's key-space shares (loads move picks, not key ownership). */
    @Override
    public double[] shares() {
        return base.shares();
    }

    @Override
    public long estimatedBytes() {
        return base.estimatedBytes() + 16L + 8L * weightShare.length;
    }

    @Override
    public String algorithm() {
        return base.algorithm() + "+bounded";
    }
}
