package io.stickyring.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class BoundedLoadHashTest {

    private static List<Node> members(int n, SplittableRandom rnd, boolean weighted) {
        List<Node> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new Node("m" + i, weighted ? 1 + rnd.nextInt(4) : 1));
        }
        return list;
    }

    /**
     * Placing items one at a time (arrivals only), every placement lands on a member under its
     * capacity, so no member ever exceeds ceil(c * (total+1) * w/W); with equal weights the final
     * peak is at most ceil(c * items / n).
     */
    @Property(tries = 40)
    void noMemberExceedsItsCapacity(@ForAll @IntRange(min = 1, max = 60) int n,
            @ForAll @DoubleRange(min = 1.01, max = 3.0) double c, @ForAll boolean weighted,
            @ForAll("algorithms") HashAlgorithm algorithm, @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        ConsistentHash base = algorithm.build(members(n, rnd, weighted));
        int[] loads = new int[n];
        BoundedLoadHash bounded = new BoundedLoadHash(base, c, LoadSource.of(loads));
        int items = 20 * n;
        int total = 0;
        int sticky = 0;
        for (int k = 0; k < items; k++) {
            long key = rnd.nextLong();
            int pick = bounded.ownerIndex(key);
            assertThat(loads[pick]).isLessThan(bounded.capacity(pick, total));
            if (loads[base.ownerIndex(key)] < bounded.capacity(base.ownerIndex(key), total)) {
                // The owner has room: the decorator must not move the key.
                assertThat(pick).isEqualTo(base.ownerIndex(key));
                sticky++;
            }
            loads[pick]++;
            total++;
        }
        if (!weighted) {
            int peak = java.util.Arrays.stream(loads).max().orElseThrow();
            assertThat(peak).isLessThanOrEqualTo((int) Math.ceil(c * items / n));
        }
        assertThat(sticky).isPositive();
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<HashAlgorithm> algorithms() {
        return net.jqwik.api.Arbitraries.of(HashAlgorithm.RING, HashAlgorithm.MAGLEV, HashAlgorithm.RENDEZVOUS);
    }

    @Test
    void javadocExample() {
        ConsistentHash base = new RendezvousHash(List.of(Node.of("a"), Node.of("b"), Node.of("c"), Node.of("d")));
        AtomicIntegerArray loads = new AtomicIntegerArray(new int[] {3, 1, 0, 0});
        BoundedLoadHash bounded = new BoundedLoadHash(base, 1.25, LoadSource.of(loads));
        assertThat(bounded.capacity(0, 4)).isEqualTo(2);
        // A key owned by "a" (load 3 >= capacity 2) goes to its first fallback with load < 2.
        SplittableRandom rnd = new SplittableRandom(5);
        int[] pref = new int[4];
        int checked = 0;
        while (checked < 50) {
            long key = rnd.nextLong();
            if (base.ownerIndex(key) != 0) {
                assertThat(bounded.ownerIndex(key)).isEqualTo(base.ownerIndex(key));
                continue;
            }
            base.preference(key, pref);
            int expected = -1;
            for (int i : pref) {
                if (loads.get(i) < 2) {
                    expected = i;
                    break;
                }
            }
            assertThat(bounded.ownerIndex(key)).isEqualTo(expected);
            int[] bp = new int[4];
            bounded.preference(key, bp);
            assertThat(bp[0]).isEqualTo(expected);
            assertThat(bp[3]).isEqualTo(0); // the full member comes last
            checked++;
        }
        assertThat(bounded.algorithm()).isEqualTo("rendezvous+bounded");
        assertThat(bounded.shares()).isEqualTo(base.shares());
    }
}
