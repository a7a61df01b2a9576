package io.stickyring.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: the bounded-loads capacity is the exact {@code ceil(c * (total+1) * w / W)} with c
 * rational, not a floating-point approximation. The expected value here is computed in
 * BigInteger from the fraction, independently of the production arithmetic.
 */
class BoundedLoadCapacityTest {

    static long exactCeiling(long p, long q, long w, long totalWeight, long total) {
        BigInteger num = BigInteger.valueOf(p).multiply(BigInteger.valueOf(w)).multiply(BigInteger.valueOf(total + 1));
        BigInteger den = BigInteger.valueOf(q).multiply(BigInteger.valueOf(totalWeight));
        BigInteger[] qr = num.divideAndRemainder(den);
        return qr[0].add(qr[1].signum() == 0 ? BigInteger.ZERO : BigInteger.ONE).longValueExact();
    }

    private static List<Node> equal(int n) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            nodes.add(Node.of("m" + i));
        }
        return nodes;
    }

    /** c = 1.1, n = 10: the double formula gave one too many for 1,106 of these totals. */
    @Test
    void capacityIsExactForEveryTotalUpTo200000() {
        BoundedLoadHash bounded = new BoundedLoadHash(new RendezvousHash(equal(10)), 1.1, LoadSource.of(new int[10]));
        int wrong = 0;
        for (int total = 0; total < 200_000; total++) {
            if (bounded.capacity(3, total) != exactCeiling(11, 10, 1, 10, total)) {
                wrong++;
            }
        }
        assertThat(wrong).as("totals with a capacity other than the exact ceiling").isZero();
        // The case the issue names: 1.1 * 100000 * 0.1 = 11000.000000000002 in doubles.
        assertThat(bounded.capacity(0, 99_999)).isEqualTo(11_000);
    }

    @Test
    void weightedCapacityIsExactForEveryTotal() {
        List<Node> nodes = List.of(new Node("a", 1), new Node("b", 3), new Node("c", 7));
        BoundedLoadHash bounded = new BoundedLoadHash(new RendezvousHash(nodes), Ratio.parse("1.15"), LoadSource.of(new int[3]));
        for (int total = 0; total < 100_000; total++) {
            for (int i = 0; i < 3; i++) {
                assertThat(bounded.capacity(i, total)).isEqualTo((int) exactCeiling(23, 20, nodes.get(i).weight(), 11, total));
            }
        }
    }

    /** Over random rational c, member counts, weights and totals: the capacity is the exact ceiling. */
    @Property(tries = 300)
    void capacityIsTheExactCeiling(@ForAll @LongRange(min = 1, max = 1_000_000) long q,
            @ForAll @LongRange(min = 1, max = 4_000_000) long extra, @ForAll @Size(min = 1, max = 40) List<@IntRange(min = 1, max = 1000) Integer> weights,
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE - 1) int total) {
        long p = q + extra;
        List<Node> nodes = new ArrayList<>();
        long w = 0;
        for (int i = 0; i < weights.size(); i++) {
            nodes.add(new Node("n" + i, weights.get(i)));
            w += weights.get(i);
        }
        Ratio c = new Ratio(p, q);
        BoundedLoadHash bounded = new BoundedLoadHash(new RendezvousHash(nodes), c, LoadSource.of(new int[nodes.size()]));
        List<Node> sorted = bounded.nodes();
        for (int i = 0; i < sorted.size(); i++) {
            long expected = Math.min(Integer.MAX_VALUE, exactCeiling(p, q, sorted.get(i).weight(), w, total));
            assertThat(bounded.capacity(i, total)).isEqualTo((int) expected);
        }
    }

    /**
     * Placing items one by one with a rational c: every pick is under its exact capacity, so no
     * member's load ever exceeds the capacity at the time it received its last item.
     */
    @Property(tries = 60)
    void noLoadExceedsItsExactCapacity(@ForAll @IntRange(min = 1, max = 50) int q, @ForAll @IntRange(min = 1, max = 100) int extra,
            @ForAll @Size(min = 1, max = 30) List<@IntRange(min = 1, max = 8) Integer> weights, @ForAll long seed) {
        List<Node> nodes = new ArrayList<>();
        long w = 0;
        for (int i = 0; i < weights.size(); i++) {
            nodes.add(new Node("n" + i, weights.get(i)));
            w += weights.get(i);
        }
        ConsistentHash base = new RingHash(nodes, 20);
        int[] loads = new int[nodes.size()];
        BoundedLoadHash bounded = new BoundedLoadHash(base, new Ratio(q + extra, q), LoadSource.of(loads));
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        for (int total = 0; total < 30 * nodes.size(); total++) {
            int pick = bounded.ownerIndex(rnd.nextLong());
            assertThat((long) loads[pick] + 1)
                    .isLessThanOrEqualTo(exactCeiling(q + extra, q, base.nodes().get(pick).weight(), w, total));
            loads[pick]++;
        }
    }

    @Test
    void ratioParsesDecimalsAndFractionsExactly() {
        assertThat(Ratio.parse("1.1")).isEqualTo(new Ratio(11, 10));
        assertThat(Ratio.parse("11/10")).isEqualTo(new Ratio(11, 10));
        assertThat(Ratio.parse("1.250")).isEqualTo(new Ratio(5, 4));
        assertThat(Ratio.parse("3")).isEqualTo(new Ratio(3, 1));
        assertThat(Ratio.of(1.1)).isEqualTo(new Ratio(11, 10));
        assertThat(Ratio.of(1e2)).isEqualTo(new Ratio(100, 1));
        assertThatThrownBy(() -> Ratio.parse("x1")).hasMessageContaining("'x1'");
        assertThatThrownBy(() -> Ratio.parse("-2")).hasMessageContaining("'-2'");
        assertThatThrownBy(() -> new BoundedLoadHash(new RendezvousHash(equal(2)), new Ratio(1, 1), LoadSource.of(new int[2])))
                .hasMessageContaining("(1)");
    }
}
