package io.stickyring.ring;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.ring.bench.TreeMapKetama;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** RingHash against the naive TreeMap ketama over the same points: an independent reference. */
class RingReferenceTest {

    @Property(tries = 40)
    void agreesWithTheTreeMapRing(@ForAll("memberSets") List<Node> members, @ForAll @IntRange(min = 1, max = 30) int vnodes,
            @ForAll long seed) {
        RingHash ring = new RingHash(members, vnodes);
        TreeMapKetama naive = new TreeMapKetama(members, vnodes);
        for (long k : ConsistentHashPropertiesTest.keys(ring, seed, 2000)) {
            assertThat(ring.owner(k)).isEqualTo(naive.owner(k));
        }
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<List<Node>> memberSets() {
        return new ConsistentHashPropertiesTest().memberSets();
    }
}
