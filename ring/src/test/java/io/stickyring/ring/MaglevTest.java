package io.stickyring.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Maglev against the paper's pseudocode, its weighted population, and its measured (not minimal)
 * disruption. Bounds here come from docs/algorithms.md's measurements with margin.
 */
class MaglevTest {

    /** Eisenbud et al. NSDI 2016, section 3.4, Pseudocode 1, transcribed literally (equal weights). */
    static int[] paperPopulate(List<Node> sorted, int m) {
        int n = sorted.size();
        int[][] permutation = new int[n][m];
        for (int i = 0; i < n; i++) {
            long[] h = Murmur3.id128(sorted.get(i).id());
            long offset = Long.remainderUnsigned(h[0], m);
            long skip = Long.remainderUnsigned(h[1], m - 1) + 1;
            for (int j = 0; j < m; j++) {
                permutation[i][j] = (int) ((offset + j * skip) % m);
            }
        }
        int[] next = new int[n];
        int[] entry = new int[m];
        Arrays.fill(entry, -1);
        int filled = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                int c = permutation[i][next[i]];
                while (entry[c] >= 0) {
                    next[i]++;
                    c = permutation[i][next[i]];
                }
                entry[c] = i;
                next[i]++;
                filled++;
                if (filled == m) {
                    return entry;
                }
            }
        }
    }

    @Provide
    Arbitrary<List<Node>> equalMembers() {
        return Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8).set().ofMinSize(1).ofMaxSize(60)
                .map(ids -> ids.stream().map(Node::of).toList());
    }

    @Property(tries = 30)
    void tableEqualsThePapersPseudocode(@ForAll("equalMembers") List<Node> members) {
        int m = 1009;
        MaglevHash h = new MaglevHash(members, m);
        int[] expected = paperPopulate(h.nodes(), m);
        for (int s = 0; s < m; s++) {
            assertThat(h.slotOwner(s)).isEqualTo(expected[s]);
        }
    }

    /**
     * Weighted population: each member holds M*w/W slots to within 1 + n*w/W. After the last
     * (partial) round member i has taken x*w_i turns to within one (x = rounds / max weight), so the
     * n members' rounding moves M away from x*W by less than n, and M*w_i/W by less than n*w_i/W.
     * With equal weights that is 2; a member of weight 20 among weights averaging 10 can be 2.9 off
     * (a bound of 2 failed on such a draw).
     */
    @Property(tries = 30)
    void slotsFollowWeights(@ForAll @IntRange(min = 1, max = 300) int n, @ForAll long seed) {
        checkWeightedCounts(n, seed);
    }

    /** A draw where member 0 (weight 20) holds 2.02 slots more than M*w/W: within 1 + n*w/W = 3.08. */
    @Example
    void aHeavyMemberAmongManyMayBeMoreThanTwoSlotsOff() {
        checkWeightedCounts(297, 1796);
    }

    private static void checkWeightedCounts(int n, long seed) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        List<Node> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            members.add(new Node("m" + i, 1 + rnd.nextInt(20)));
        }
        MaglevHash h = new MaglevHash(members);
        int[] counts = h.slotCounts();
        double total = Nodes.totalWeight(h.nodes());
        for (int i = 0; i < n; i++) {
            double expected = h.tableSize() * h.nodes().get(i).weight() / total;
            double bound = 1 + n * h.nodes().get(i).weight() / total;
            assertThat((double) counts[i]).as("member %d of %d, weight %d", i, n, h.nodes().get(i).weight())
                    .isCloseTo(expected, org.assertj.core.data.Offset.offset(bound));
        }
    }

    /**
     * Disruption, measured exactly over the table: removing one of N members (N <= 500, weights
     * 1..5) moves at most 2% of the key space beyond the removed member's own slots (measured
     * worst: 0.96% at N=500 equal weights), and the first fallback equals the post-removal owner
     * for at least 75% of the removed member's slots (measured 86%..99.7%). A join moves keys to
     * members other than the newcomer for at most 2% of the key space.
     */
    @Property(tries = 25, seed = "20260103")
    void disruptionIsBoundedAndFallbackUsuallyMatches(@ForAll @IntRange(min = 2, max = 500) int n,
            @ForAll @IntRange(max = 499) int pick, @ForAll long seed) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        List<Node> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            members.add(new Node("m" + rnd.nextLong(), 1 + rnd.nextInt(5)));
        }
        MaglevHash before = new MaglevHash(members);
        Node gone = members.get(pick % n);
        List<Node> rest = new ArrayList<>(members);
        rest.remove(gone);
        MaglevHash after = new MaglevHash(rest);
        int m = before.tableSize();
        int excess = 0;
        int owned = 0;
        int agree = 0;
        int[] pref = new int[2];
        for (int s = 0; s < m; s++) {
            Node was = before.nodes().get(before.slotOwner(s));
            Node now = after.nodes().get(after.slotOwner(s));
            if (was.equals(gone)) {
                owned++;
                long key = (((((long) s) << 32) + m - 1) / m) << 32;
                assertThat(before.slot(key)).isEqualTo(s);
                before.preference(key, pref);
                agree += before.nodes().get(pref[1]).equals(now) ? 1 : 0;
            } else if (!was.equals(now)) {
                excess++;
            }
        }
        assertThat((double) excess / m).isLessThanOrEqualTo(0.02);
        assertThat((double) agree / owned).isGreaterThanOrEqualTo(0.75);
        // The join is the removal seen backwards.
        int joinExcess = 0;
        for (int s = 0; s < m; s++) {
            Node was = after.nodes().get(after.slotOwner(s));
            Node now = before.nodes().get(before.slotOwner(s));
            if (!was.equals(now) && !now.equals(gone)) {
                joinExcess++;
            }
        }
        assertThat((double) joinExcess / m).isLessThanOrEqualTo(0.02);
    }
}
