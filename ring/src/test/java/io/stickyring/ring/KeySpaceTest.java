package io.stickyring.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stickyring.ring.bench.BalanceReport;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class KeySpaceTest {

    @Test
    void movedFractionOfARemovalIsTheRemovedMembersShare() {
        List<Node> members = BalanceReport.members("node-", 8);
        ConsistentHash before = new RingHash(members, 200);
        List<Node> rest = new ArrayList<>(members);
        rest.remove(3);
        ConsistentHash after = new RingHash(rest, 200);
        double share = before.shares()[3];
        assertThat(KeySpace.movedFraction(before, after, 100_000)).isCloseTo(share, Offset.offset(0.005));
        assertThat(KeySpace.movedFraction(before, before, 1000)).isZero();
        // Disjoint member sets: every key moves.
        ConsistentHash other = new RingHash(BalanceReport.members("other-", 3), 10);
        assertThat(KeySpace.movedFraction(before, other, 1000)).isEqualTo(1.0);
    }

    @Test
    void sampleKeysSpreadEvenly() {
        int[] slices = new int[16];
        for (int i = 0; i < 1600; i++) {
            slices[(int) (KeySpace.sampleKey(i) >>> 60)]++;
        }
        for (int c : slices) {
            assertThat(c).isBetween(95, 105);
        }
        assertThatThrownBy(() -> KeySpace.movedFraction(new RendezvousHash(List.of(Node.of("a"))),
                new RendezvousHash(List.of(Node.of("a"))), 0)).hasMessageContaining("samples (0)");
    }
}
