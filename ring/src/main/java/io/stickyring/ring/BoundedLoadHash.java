package io.stickyring.ring;

import java.math.BigInteger;
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
 * <p>The capacity is computed exactly: c is a {@link Ratio} p/q, so the capacity is
 * {@code ceilDiv(p * w * (total+1), q * W)} in integers (issue 16: the double expression
 * {@code 1.1 * 100000.0 * 0.1 = 11000.000000000002} gave 11001 at c = 1.1, n = 10, total = 99999).
 * The products stay in {@code long}; if one would overflow, that one pick uses BigInteger.
 *
 * <p>Example: 4 equal members holding 3, 1, 0, 0 items, c = 1.25: capacity =
 * ceil(1.25 * 5 / 4) = 2, so a key owned by the first member (load 3) goes to its first fallback
 * with load under 2.
 */
public final class BoundedLoadHash implements ConsistentHash {

    private final ConsistentHash base;
    private final Ratio balanceFactor;
    private final LoadSource loads;
    /** Per member {@code p * w}, or null if some product overflows (then {@link #capacity} uses BigInteger). */
    private final long[] numerator;
    /** {@code q * W}, or -1 on overflow. */
    private final long denominator;

    /** c as a double is read as the decimal it prints as: 1.1 is exactly 11/10 (see {@link Ratio#of(double)}). */
    public BoundedLoadHash(ConsistentHash base, double balanceFactor, LoadSource loads) {
        this(base, checkedRatio(balanceFactor), loads);
    }

    public BoundedLoadHash(ConsistentHash base, Ratio balanceFactor, LoadSource loads) {
        this.base = Objects.requireNonNull(base, "base");
        this.loads = Objects.requireNonNull(loads, "loads");
        this.balanceFactor = Objects.requireNonNull(balanceFactor, "balanceFactor");
        if (!balanceFactor.greaterThanOne()) {
            throw new IllegalArgumentException("balance factor c (" + balanceFactor + ") must be > 1");
        }
        List<Node> nodes = base.nodes();
        long[] num = new long[nodes.size()];
        long den;
        try {
            den = Math.multiplyExact(balanceFactor.denominator(), Nodes.totalWeight(nodes));
            for (int i = 0; i < num.length; i++) {
                num[i] = Math.multiplyExact(balanceFactor.numerator(), (long) nodes.get(i).weight());
            }
        } catch (ArithmeticException overflow) {
            num = null;
            den = -1;
        }
        this.numerator = num;
        this.denominator = den;
    }

    private static Ratio checkedRatio(double c) {
        if (!(c > 1.0) || Double.isInfinite(c)) {
            throw new IllegalArgumentException("balance factor c (" + c + ") must be a finite number > 1");
        }
        return Ratio.of(c);
    }

    /**
     * Capacity of member {@code index} given the current total load (before placing the new item):
     * exactly {@code ceil(c * (totalLoad + 1) * w / W)}, capped at {@link Integer#MAX_VALUE}.
     */
    public int capacity(int index, int totalLoad) {
        long items = totalLoad + 1L;
        if (numerator != null) {
            long a = numerator[index];
            long hi = Math.multiplyHigh(a, items);
            long lo = a * items;
            if (hi == 0 && lo >= 0) {
                return (int) Math.min(Integer.MAX_VALUE, ceilDiv(lo, denominator));
            }
        }
        return exactCapacity(index, items);
    }

    private static long ceilDiv(long a, long b) {
        long q = a / b;
        return q * b == a ? q : q + 1;
    }

    private int exactCapacity(int index, long items) {
        List<Node> nodes = base.nodes();
        BigInteger num = BigInteger.valueOf(balanceFactor.numerator()).multiply(BigInteger.valueOf(nodes.get(index).weight()))
                .multiply(BigInteger.valueOf(items));
        BigInteger den = BigInteger.valueOf(balanceFactor.denominator()).multiply(BigInteger.valueOf(Nodes.totalWeight(nodes)));
        BigInteger[] qr = num.divideAndRemainder(den);
        BigInteger cap = qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
        return cap.min(BigInteger.valueOf(Integer.MAX_VALUE)).intValueExact();
    }

    /** c as a double, for display; {@link #balanceFactorRatio()} is the exact value. */
    public double balanceFactor() {
        return balanceFactor.toDouble();
    }

    /** The exact c used by {@link #capacity}. */
    public Ratio balanceFactorRatio() {
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
        return base.estimatedBytes() + 32L + 16L + 8L * base.nodes().size();
    }

    @Override
    public String algorithm() {
        return base.algorithm() + "+bounded";
    }
}
