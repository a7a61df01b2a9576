package io.stickyring.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.sim.algo.ProductionCatalog;
import io.stickyring.sim.engine.Progress;
import io.stickyring.sim.engine.SimResult;
import io.stickyring.sim.engine.Simulator;
import io.stickyring.sim.scenario.Cluster;
import io.stickyring.sim.scenario.Event;
import io.stickyring.sim.scenario.Scenario;
import io.stickyring.sim.workload.KeySet;
import io.stickyring.sim.workload.Workload;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Golden numbers for fixed seeds: the same seed must give the same keys moved, to the key, on
 * every machine and run. Explicit algorithm parameters keep the pins independent of the ring
 * package's defaults; a change to an algorithm's placement, to the client-key function, to the
 * workload generators or to the victim choice shows up here.
 */
class PinnedResultsTest {

    @Test
    void fixedSeedGivesPinnedMovedKeyCounts() {
        ProductionCatalog catalog = new ProductionCatalog();
        KeySet keys = Workload.parse("ipv4:n=100000").generate(catalog.clientKeys(), 1);
        Scenario sc = new Scenario(Cluster.uniform(10), List.of(Event.parse("fail:1"), Event.parse("add:1"),
                Event.parse("weight:m000=3")), 1);
        SimResult r = new Simulator(1, false).run(keys, List.of(catalog.parse("ring:vnodes=100"),
                catalog.parse("maglev:table=1009"), catalog.parse("rendezvous"), catalog.parse("jump")), sc, Progress.NONE);
        long[] moved = r.events().stream().filter(e -> e.event() > 0)
                .mapToLong(e -> Math.round(e.movedKeys() * keys.size())).toArray();
        assertThat(r.steps().get(0).stepLabel()).isEqualTo("fail m006");
        assertThat(r.steps().get(1).stepLabel()).isEqualTo("add m010");
        assertThat(moved).containsExactly(
                11171, 11422, 13886,  // ring:vnodes=100
                12135, 11914, 16776,  // maglev:table=1009
                9956, 9940, 14856,    // rendezvous: ~10%, ~1/11, ideal 15% for weight 1 -> 3 of 10
                39141, 10132, 89907); // jump: m006 is not last, so survivors' keys move too
        assertThat(r.events()).filteredOn(e -> e.event() == 3).allSatisfy(
                e -> assertThat(e.ideal()).isCloseTo(0.15, org.assertj.core.api.Assertions.within(1e-12)));
    }

    @Test
    void workloadsArePinnedForSeedOne() {
        ProductionCatalog catalog = new ProductionCatalog();
        // spec, distinct keys, largest count, first key, last key
        Object[][] pins = {
                {"ipv4:n=1000", 1000, 1, -8249121760587152266L, 139131467741474442L},
                {"ipv6:n=1000", 1000, 1, 3760496385885473304L, 1667833434691749709L},
                {"zipf:users=100000:nats=2000:s=1.1", 1991, 16865, -7665005933160346384L, 7524723675395054005L},
                {"prefix24:n=50000:prefixes=3000", 2998, 34, -5548128737908014946L, -1520086057472030538L},
                {"prefix64:n=50000", 50000, 1, -1363664533572163126L, -901542052371289205L},
        };
        for (Object[] p : pins) {
            KeySet k = Workload.parse((String) p[0]).generate(catalog.clientKeys(), 1);
            assertThat(k.size()).as((String) p[0]).isEqualTo(p[1]);
            assertThat(java.util.Arrays.stream(k.counts()).max().orElseThrow()).as((String) p[0]).isEqualTo(p[2]);
            assertThat(k.key(0)).as((String) p[0]).isEqualTo(p[3]);
            assertThat(k.key(k.size() - 1)).as((String) p[0]).isEqualTo(p[4]);
        }
    }

    @Test
    void memoryColumnMeasuresTheRealObjectGraph() {
        ProductionCatalog catalog = new ProductionCatalog();
        var nodes = Cluster.uniform(10).ringNodes();
        var maglev = catalog.parse("maglev:table=65537").build(nodes);
        var ring = catalog.parse("ring:vnodes=1000").build(nodes);
        long m = io.stickyring.sim.engine.MemoryEstimate.bytes(maglev);
        long r = io.stickyring.sim.engine.MemoryEstimate.bytes(ring);
        // Maglev's table is 65537 ints; the ring holds at least its 10000 8-byte points.
        assertThat(m).isBetween(4L * 65537, 4L * 65537 + 64 * 1024);
        assertThat(r).isGreaterThan(8L * 10000);
        // The ring package's own estimate agrees within 25%.
        assertThat((double) m / maglev.estimatedBytes()).isBetween(0.75, 1.25);
        assertThat((double) r / ring.estimatedBytes()).isBetween(0.75, 1.25);
    }
}
