package io.stickyring.lb.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stickyring.lb.route.HashFactories;
import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.Node;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Slot filling and slot diffs for every algorithm the LB offers: only owner changes move slots. */
class SlotTableTest {

    private static final int M = 65_537;

    private static ConsistentHash hash(String alg, String... ids) {
        return HashFactories.defaults().build(io.stickyring.ring.HashConfig.of(alg), List.of(ids).stream().map(Node::of).toList());
    }

    private static SlotTable.Target target(String id) {
        try {
            return new SlotTable.Target(id, InetAddress.getByName("10.97.0." + (id.charAt(1) - '0' + 10)), 7000);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ring", "maglev", "rendezvous", "multiprobe", "dxhash"})
    void slotOwnerIsTheAlgorithmsOwnerOfTheSlotKey(String alg) {
        ConsistentHash h = hash(alg, "m1", "m2", "m3", "m4");
        SlotTable t = SlotTable.fill(h, SlotTableTest::target, M);
        for (int i = 0; i < M; i += 97) {
            assertEquals(h.owner(SlotTable.slotKey(i)).id(), t.get(i).member());
        }
        // slot shares follow the algorithm's own key distribution (sampled over uniform 64-bit keys;
        // shares() is nominal for multiprobe and dxhash): within 1 point for every member
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(15);
        Map<String, Integer> sampled = new java.util.HashMap<>();
        int samples = 400_000;
        for (int i = 0; i < samples; i++) {
            sampled.merge(h.owner(rnd.nextLong()).id(), 1, Integer::sum);
        }
        for (Map.Entry<String, Integer> e : t.counts().entrySet()) {
            double share = (double) e.getValue() / M;
            double expected = (double) sampled.get(e.getKey()) / samples;
            assertTrue(Math.abs(share - expected) < 0.01, e + " vs sampled share " + expected);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ring", "rendezvous"})
    void removingAMemberMovesOnlyItsSlots(String alg) {
        SlotTable before = SlotTable.fill(hash(alg, "m1", "m2", "m3", "m4"), SlotTableTest::target, M);
        SlotTable after = SlotTable.fill(hash(alg, "m1", "m2", "m4"), SlotTableTest::target, M);
        int[] changed = before.changedSlots(after);
        assertEquals((int) before.counts().get("m3"), changed.length);
        for (int s : changed) {
            assertEquals("m3", before.get(s).member());
        }
    }

    @org.junit.jupiter.api.Test
    void maglevRemovalMovesItsSlotsPlusAtMostAFewPercent() {
        SlotTable before = SlotTable.fill(hash("maglev", "m1", "m2", "m3", "m4"), SlotTableTest::target, M);
        SlotTable after = SlotTable.fill(hash("maglev", "m1", "m2", "m4"), SlotTableTest::target, M);
        int[] changed = before.changedSlots(after);
        int own = before.counts().get("m3");
        long others = java.util.Arrays.stream(changed).filter(s -> !before.get(s).member().equals("m3")).count();
        assertEquals(own, changed.length - others, "every slot of m3 moves");
        assertTrue(others < 0.02 * M, others + " slots of other members moved (Maglev's bounded disruption)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ring", "rendezvous"})
    void joiningMovesAboutOneFifthAllToTheNewcomer(String alg) {
        SlotTable before = SlotTable.fill(hash(alg, "m1", "m2", "m3", "m4"), SlotTableTest::target, M);
        SlotTable after = SlotTable.fill(hash(alg, "m1", "m2", "m3", "m4", "m5"), SlotTableTest::target, M);
        int[] changed = before.changedSlots(after);
        for (int s : changed) {
            assertEquals("m5", after.get(s).member());
        }
        double moved = (double) changed.length / M;
        assertTrue(Math.abs(moved - 0.2) < 0.05, "moved " + moved);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ring"})
    void diffDeletesThenAddsOnlyChangedSlots(String alg) throws Exception {
        NftConfig c = new NftConfig("sr", InetAddress.getByName("10.98.0.1"), 80, 64, false);
        SlotTable before = SlotTable.fill(hash(alg, "m1", "m2"), SlotTableTest::target, 64);
        SlotTable after = SlotTable.fill(hash(alg, "m1"), SlotTableTest::target, 64);
        String script = NftScript.diff(c, before, after);
        int[] changed = before.changedSlots(after);
        assertTrue(changed.length > 0);
        String del = script.lines().filter(l -> l.startsWith("delete element ip sr slots")).findFirst().orElseThrow();
        String add = script.lines().filter(l -> l.startsWith("add element ip sr slots")).findFirst().orElseThrow();
        assertEquals(changed.length, del.split(",").length);
        assertEquals(changed.length, add.split(",").length);
        assertTrue(add.contains(changed[0] + " : 10.97.0.11 . 7000"), add);
        assertTrue(script.indexOf(del) < script.indexOf(add), "delete before add");
        assertEquals("", NftScript.diff(c, after, after));
        // from empty (a new table): adds only, no delete of elements that do not exist
        String fresh = NftScript.diff(c, SlotTable.empty(64), after);
        assertFalse(fresh.contains("delete element"));
    }
}
