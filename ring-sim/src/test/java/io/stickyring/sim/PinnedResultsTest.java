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
}
