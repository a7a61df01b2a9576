package io.stickyring.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Constructor and config validation: every refusal names the bad value. */
class ValidationTest {

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void rejectsEmptyAndDuplicateMemberSets(HashAlgorithm algorithm) {
        assertThatThrownBy(() -> algorithm.build(List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(0 members)");
        assertThatThrownBy(() -> algorithm.build(List.of(Node.of("a"), Node.of("b"), Node.of("a"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate member id 'a'");
    }

    @Test
    void rejectsWeightZeroNamingIt() {
        assertThatThrownBy(() -> new Node("n1", 0)).hasMessageContaining("weight (0)").hasMessageContaining("'n1'");
    }

    @Test
    void rejectsBadVnodes() {
        assertThatThrownBy(() -> new RingHash(List.of(Node.of("a")), 0)).hasMessageContaining("vnodes (0) must be >= 1");
        assertThatThrownBy(() -> HashConfig.of(HashAlgorithm.RING).withVnodes(-3)).hasMessageContaining("vnodes (-3)");
        assertThatThrownBy(() -> new RingHash(List.of(new Node("a", 100_000)), 1000))
                .hasMessageContaining("(100000000 points");
    }

    @Test
    void rejectsBadMaglevTableSizes() {
        assertThatThrownBy(() -> new MaglevHash(List.of(Node.of("a")), 65536))
                .hasMessageContaining("table size (65536)").hasMessageContaining("prime");
        assertThatThrownBy(() -> HashConfig.of(HashAlgorithm.MAGLEV).withMaglevTableSize(1))
                .hasMessageContaining("table size (1)");
        assertThatThrownBy(() -> new MaglevHash(List.of(Node.of("a"), Node.of("b"), Node.of("c"), Node.of("d")), 3))
                .hasMessageContaining("table size (3)").hasMessageContaining("member count (4)");
        assertThat(new MaglevHash(List.of(Node.of("a"), Node.of("b")), 2).tableSize()).isEqualTo(2);
    }

    @Test
    void rejectsBadBalanceFactor() {
        ConsistentHash ring = new RingHash(List.of(Node.of("a")), 1);
        LoadSource loads = LoadSource.of(new int[1]);
        assertThatThrownBy(() -> new BoundedLoadHash(ring, 1.0, loads)).hasMessageContaining("(1.0)");
        assertThatThrownBy(() -> new BoundedLoadHash(ring, Double.NaN, loads)).hasMessageContaining("(NaN)");
    }

    @Test
    void parsesAlgorithmNames() {
        assertThat(HashAlgorithm.fromName("Maglev")).isEqualTo(HashAlgorithm.MAGLEV);
        assertThat(HashConfig.of("ring").build(List.of(Node.of("a"))).algorithm()).isEqualTo("ring");
        assertThatThrownBy(() -> HashAlgorithm.fromName("ketama"))
                .hasMessageContaining("'ketama'").hasMessageContaining("ring|maglev|rendezvous|jump");
        for (HashAlgorithm a : HashAlgorithm.values()) {
            assertThat(a.build(List.of(Node.of("x"), Node.of("y"))).algorithm()).isEqualTo(a.cliName());
        }
        assertThat(HashAlgorithm.JUMP.offeredToLb()).isFalse();
    }
}
