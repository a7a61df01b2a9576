package io.stickyring.ring;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.hash.Hashing;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Golden tables: literal outputs for a small weighted member set (a:1, b:2, c:1) at boundary
 * probes. They pin the mapping across processes, JVMs and releases: if one changes, every LB
 * instance built from an older version would disagree with a newer one, which must be a
 * deliberate, documented change. The ring table was also checked by hand against its point list.
 */
class GoldenTest {

    static final List<Node> MEMBERS = List.of(new Node("a", 1), new Node("b", 2), new Node("c", 1));

    /** All 12 points of the ring with 3 vnodes per unit of weight, and their owners (0=a, 1=b, 2=c). */
    static final long[] POINTS = {
        -8875206758665770964L, -7618501857447054125L, -3755317631083962861L, -3634935318303966967L,
        -3497485762035881129L, -3164880415730385184L, -2508508770589063783L, -2100614379868117948L,
        682857216266135793L, 1228377497390879443L, 5438750284002260343L, 6165192175857014318L,
    };
    static final int[] POINT_OWNERS = {1, 2, 0, 1, 0, 1, 2, 1, 1, 0, 2, 1};

    private static final long POINT = POINTS[5];
    private static final long[] PROBES = {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE, POINT, POINT + 1};

    private static int[][] preferences(ConsistentHash h) {
        int[][] out = new int[PROBES.length][3];
        for (int i = 0; i < PROBES.length; i++) {
            assertThat(h.preference(PROBES[i], out[i])).isEqualTo(3);
            assertThat(h.ownerIndex(PROBES[i])).isEqualTo(out[i][0]);
        }
        return out;
    }

    @Test
    void ringPointsAndProbes() {
        RingHash ring = new RingHash(MEMBERS, 3);
        assertThat(ring.size()).isEqualTo(12);
        for (int i = 0; i < POINTS.length; i++) {
            assertThat(ring.point(i)).isEqualTo(POINTS[i]);
            assertThat(ring.pointOwner(i)).isEqualTo(POINT_OWNERS[i]);
        }
        // MIN -> first point; -1 and 0 -> first positive point; MAX wraps to the first point;
        // a point is owned by itself; point+1 by the next point.
        assertThat(preferences(ring)).isDeepEqualTo(new int[][] {
            {1, 2, 0}, {1, 0, 2}, {1, 0, 2}, {1, 2, 0}, {1, 2, 0}, {2, 1, 0}});
        // Every point, and the keys either side of it.
        for (int i = 0; i < POINTS.length; i++) {
            assertThat(ring.ownerIndex(POINTS[i])).isEqualTo(POINT_OWNERS[i]);
            assertThat(ring.ownerIndex(POINTS[i] - 1)).isEqualTo(POINT_OWNERS[i]);
            assertThat(ring.ownerIndex(POINTS[i] + 1)).isEqualTo(POINT_OWNERS[(i + 1) % POINTS.length]);
        }
    }

    /** Two points owned by different members, so a wrong wrap-around cannot pass by coincidence. */
    @Test
    void ringWrapAroundGoesToTheFirstPoint() {
        RingHash ring = new RingHash(List.of(Node.of("x"), Node.of("y")), 1);
        assertThat(new long[] {ring.point(0), ring.point(1)})
                .containsExactly(-6690392566671088672L, -6525534711643298273L);
        assertThat(new int[] {ring.pointOwner(0), ring.pointOwner(1)}).containsExactly(0, 1);
        assertThat(ring.ownerIndex(Long.MIN_VALUE)).isZero();
        assertThat(ring.ownerIndex(-6690392566671088672L)).isZero();
        assertThat(ring.ownerIndex(-6690392566671088671L)).isEqualTo(1);
        assertThat(ring.ownerIndex(-6525534711643298273L)).isEqualTo(1);
        assertThat(ring.ownerIndex(-6525534711643298272L)).isZero();
        assertThat(ring.ownerIndex(-1)).isZero();
        assertThat(ring.ownerIndex(0)).isZero();
        assertThat(ring.ownerIndex(Long.MAX_VALUE)).isZero();
        int[] pref = new int[2];
        ring.preference(Long.MAX_VALUE, pref);
        assertThat(pref).containsExactly(0, 1);
        assertThat(ring.firstAccepted(Long.MAX_VALUE, i -> i == 1)).isEqualTo(1);
    }

    @Test
    void ringPointsAreMurmur3OfIdAndReplica() {
        // Independent of the allocation-free path: Guava over "id" + little-endian replica index.
        long[] expected = new long[12];
        int p = 0;
        for (Node n : MEMBERS) {
            for (int r = 0; r < n.weight() * 3; r++) {
                expected[p++] = Hashing.murmur3_128().newHasher()
                        .putString(n.id(), java.nio.charset.StandardCharsets.UTF_8).putInt(r).hash().asLong();
            }
        }
        Arrays.sort(expected);
        assertThat(expected).isEqualTo(POINTS);
    }

    @Test
    void maglevProbesAndSmallTable() {
        MaglevHash small = new MaglevHash(MEMBERS, 7);
        int[] table = new int[7];
        for (int s = 0; s < 7; s++) {
            table[s] = small.slotOwner(s);
        }
        // b (weight 2) takes a turn every round, a and c every other round: b,a,b,c,b,a,b -> 2:4:1.
        assertThat(table).containsExactly(1, 2, 0, 1, 1, 1, 0);
        assertThat(preferences(small)).isDeepEqualTo(new int[][] {
            {1, 2, 0}, {0, 1, 2}, {1, 2, 0}, {1, 2, 0}, {1, 0, 2}, {1, 0, 2}});
        MaglevHash big = new MaglevHash(MEMBERS);
        assertThat(big.slotCounts()).containsExactly(16384, 32769, 16384);
        int[] owners = Arrays.stream(PROBES).mapToInt(big::ownerIndex).toArray();
        assertThat(owners).containsExactly(0, 0, 1, 0, 1, 1);
        // Slots read the key's top 32 bits as unsigned: 0 -> first slot, -1 -> last, MIN and MAX meet mid-table.
        assertThat(big.slot(0)).isZero();
        assertThat(big.slot(-1)).isEqualTo(65536);
        assertThat(big.slot(Long.MAX_VALUE)).isEqualTo(32768);
        assertThat(big.slot(Long.MIN_VALUE)).isEqualTo(32768);
    }

    @Test
    void rendezvousProbes() {
        assertThat(preferences(new RendezvousHash(MEMBERS))).isDeepEqualTo(new int[][] {
            {0, 1, 2}, {2, 0, 1}, {1, 2, 0}, {2, 1, 0}, {2, 1, 0}, {1, 0, 2}});
    }

    @Test
    void rendezvousProbesEqualWeights() {
        List<Node> equal = List.of(Node.of("a"), Node.of("b"), Node.of("c"));
        int[][] expected = {{0, 1, 2}, {2, 0, 1}, {2, 1, 0}, {2, 1, 0}, {2, 0, 1}, {0, 1, 2}};
        assertThat(preferences(new RendezvousHash(equal))).isDeepEqualTo(expected);
        assertThat(preferences(new RendezvousHash(equal, false))).isDeepEqualTo(expected);
    }

    @Test
    void jumpProbesMatchGuavaOverWeightedBuckets() {
        JumpHash jump = new JumpHash(MEMBERS);
        int[] bucketOwner = {0, 1, 1, 2};
        for (long k : PROBES) {
            assertThat(jump.ownerIndex(k)).isEqualTo(bucketOwner[Hashing.consistentHash(k, 4)]);
        }
        assertThat(preferences(jump)).isDeepEqualTo(new int[][] {
            {2, 1, 0}, {1, 2, 0}, {0, 1, 2}, {1, 0, 2}, {0, 1, 2}, {0, 1, 2}});
    }

    @Test
    void clientKeys() throws UnknownHostException {
        InetAddress v4 = InetAddress.getByName("10.0.0.1");
        InetAddress v6 = InetAddress.getByName("2001:db8::1");
        assertThat(ClientKeys.address().key(v4)).isEqualTo(-5497434528627776251L);
        assertThat(ClientKeys.prefix(24, 64).key(v4)).isEqualTo(3213538865073541202L);
        assertThat(ClientKeys.addressPort().key(v4, 443)).isEqualTo(-9101268083183887462L);
        assertThat(ClientKeys.address().key(v6)).isEqualTo(7690651592769139653L);
        assertThat(ClientKeys.prefix(24, 64).key(v6)).isEqualTo(-3583724887869489997L);
        assertThat(ClientKeys.addressPort().key(v6, 443)).isEqualTo(-7675855448902495307L);
    }
}
