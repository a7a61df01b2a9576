package io.stickyring.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Fast example-based checks of the shared contract; the jqwik properties generalise them. */
class MappingBasicsTest {

    private static List<Node> members(int n) {
        List<Node> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new Node("node-" + i, 1 + i % 3));
        }
        return list;
    }

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void sameSetInAnyOrderGivesTheSameMapping(HashAlgorithm algorithm) {
        List<Node> a = members(20);
        List<Node> b = new ArrayList<>(a);
        Collections.shuffle(b, new java.util.Random(7));
        ConsistentHash x = algorithm.build(a);
        ConsistentHash y = algorithm.build(b);
        assertThat(y.nodes()).isEqualTo(x.nodes()).isSortedAccordingTo(Node::compareTo);
        SplittableRandom rnd = new SplittableRandom(1);
        int[] px = new int[5];
        int[] py = new int[5];
        for (int i = 0; i < 2000; i++) {
            long k = rnd.nextLong();
            assertThat(y.ownerIndex(k)).isEqualTo(x.ownerIndex(k));
            assertThat(y.preference(k, py)).isEqualTo(x.preference(k, px)).isEqualTo(5);
            assertThat(py).isEqualTo(px);
            assertThat(px[0]).isEqualTo(x.ownerIndex(k));
            assertThat(px).doesNotHaveDuplicates();
            assertThat(x.owner(k)).isEqualTo(x.nodes().get(px[0]));
        }
    }

    @ParameterizedTest
    @EnumSource(value = HashAlgorithm.class, names = {"RING", "RENDEZVOUS"})
    void removalMovesOnlyTheRemovedMembersKeysToTheirFirstFallback(HashAlgorithm algorithm) {
        List<Node> all = members(30);
        ConsistentHash before = algorithm.build(all);
        List<Node> fewer = new ArrayList<>(all);
        Node gone = fewer.remove(11);
        ConsistentHash after = algorithm.build(fewer);
        SplittableRandom rnd = new SplittableRandom(2);
        int[] pref = new int[2];
        int moved = 0;
        for (int i = 0; i < 20_000; i++) {
            long k = rnd.nextLong();
            Node was = before.owner(k);
            Node now = after.owner(k);
            before.preference(k, pref);
            if (was.equals(gone)) {
                moved++;
                assertThat(now).isEqualTo(before.nodes().get(pref[1]));
            } else {
                assertThat(now).isEqualTo(was);
            }
        }
        assertThat(moved).isPositive();
    }

    /** Multi-probe's shares() is only the expectation over member sets (see MultiProbeHash), so it is excluded. */
    @ParameterizedTest
    @EnumSource(value = HashAlgorithm.class, names = "MULTIPROBE", mode = EnumSource.Mode.EXCLUDE)
    void sharesSumToOneAndMatchSampledKeys(HashAlgorithm algorithm) {
        ConsistentHash h = algorithm.build(members(10));
        double[] shares = h.shares();
        assertThat(java.util.Arrays.stream(shares).sum()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        int[] counts = new int[10];
        SplittableRandom rnd = new SplittableRandom(3);
        int keys = 200_000;
        for (int i = 0; i < keys; i++) {
            counts[h.ownerIndex(rnd.nextLong())]++;
        }
        for (int i = 0; i < 10; i++) {
            double sigma = Math.sqrt(shares[i] * (1 - shares[i]) / keys);
            assertThat((double) counts[i] / keys).isCloseTo(shares[i], org.assertj.core.data.Offset.offset(5 * sigma));
        }
    }
}
