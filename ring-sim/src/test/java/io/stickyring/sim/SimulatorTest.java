package io.stickyring.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.stickyring.sim.engine.EventResult;
import io.stickyring.sim.engine.Progress;
import io.stickyring.sim.engine.SimResult;
import io.stickyring.sim.engine.Simulator;
import io.stickyring.sim.engine.StepResult;
import io.stickyring.sim.scenario.Cluster;
import io.stickyring.sim.scenario.Event;
import io.stickyring.sim.scenario.Scenario;
import io.stickyring.sim.workload.KeySet;
import io.stickyring.sim.workload.Workload;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine's bookkeeping, checked with test-double hashes whose behaviour is known exactly. */
class SimulatorTest {

    private static SimResult run(int members, List<String> events, int threads, io.stickyring.sim.algo.AlgorithmSpec... algos) {
        KeySet keys = Workload.parse("ipv4:n=200000").generate(TestHashes.KEYS, 7);
        Scenario sc = new Scenario(Cluster.uniform(members), events.stream().map(Event::parse).toList(), 11);
        return new Simulator(threads, false).run(keys, List.of(algos), sc, Progress.NONE);
    }

    @Test
    void removingOneOfTenMovesOnlyItsKeys() {
        SimResult r = run(10, List.of("fail:m003"), 1, TestHashes.hrwSpec());
        EventResult fail = r.events().get(1);
        assertThat(fail.ideal()).isCloseTo(0.1, within(1e-12));
        assertThat(fail.movedKeys()).isCloseTo(0.1, within(0.01));
        // Every moved key came from the failed member, and they are exactly the dropped connections.
        assertThat(fail.fromGone()).isCloseTo(fail.movedConns(), within(1e-12));
        assertThat(fail.between()).isZero();
        assertThat(fail.toNew()).isZero();
        assertThat(fail.dropped()).isCloseTo(fail.movedConns(), within(1e-12));
        assertThat(fail.ringMembers()).isEqualTo(9);
    }

    @Test
    void addingOneToTenMovesAboutOneEleventhAllToTheNewMember() {
        SimResult r = run(10, List.of("add:1"), 1, TestHashes.hrwSpec());
        EventResult add = r.events().get(1);
        assertThat(add.ideal()).isCloseTo(1.0 / 11, within(1e-12));
        assertThat(add.movedKeys()).isCloseTo(1.0 / 11, within(0.01));
        assertThat(add.toNew()).isCloseTo(add.movedConns(), within(1e-12));
        assertThat(add.dropped()).isZero();
    }

    @Test
    void moduloHashingMovesAlmostEverythingAndTheSimulatorSaysSo() {
        SimResult r = run(10, List.of("add:1"), 1, TestHashes.moduloSpec());
        EventResult add = r.events().get(1);
        // key mod 10 vs key mod 11 agree for 1/11 of keys (k mod 110 < 10): ~91% move.
        assertThat(add.movedKeys()).isCloseTo(10.0 / 11, within(0.01));
        assertThat(add.between()).isGreaterThan(0.7);
        assertThat(add.excess()).isGreaterThan(9);
    }

    @Test
    void drainMovesKeysButDropsNoConnections() {
        SimResult r = run(10, List.of("drain:2"), 1, TestHashes.hrwSpec());
        EventResult drain = r.events().get(1);
        assertThat(drain.ideal()).isCloseTo(0.2, within(1e-12));
        assertThat(drain.movedKeys()).isCloseTo(0.2, within(0.01));
        assertThat(drain.dropped()).isZero();
        assertThat(drain.ringMembers()).isEqualTo(8);
    }

    @Test
    void rollingRestartMovesEachMembersKeysTwiceAndEndsWhereItStarted() {
        SimResult r = run(5, List.of("restart"), 1, TestHashes.hrwSpec());
        EventResult restart = r.events().get(1);
        assertThat(restart.steps()).isEqualTo(10);
        // Down moves 1/5, up moves 1/5 back, for each of 5 members.
        assertThat(restart.ideal()).isCloseTo(2.0, within(1e-9));
        assertThat(restart.movedKeys()).isCloseTo(2.0, within(0.02));
        assertThat(restart.netMoved()).isZero();
    }

    @Test
    void weightChangeHasTheTotalVariationIdeal() {
        SimResult r = run(4, List.of("weight:m000=2"), 1, TestHashes.hrwSpec());
        // shares 1/4 each -> 2/5,1/5,1/5,1/5: three members lose 1/20 each.
        assertThat(r.events().get(1).ideal()).isCloseTo(3.0 / 20, within(1e-12));
    }

    @Test
    void parallelAssignmentGivesTheSameNumbersAsSerial() {
        List<String> ev = List.of("fail:2", "add:3", "scale:6:step=2");
        SimResult a = run(8, ev, 1, TestHashes.hrwSpec());
        SimResult b = run(8, ev, 2, TestHashes.hrwSpec());
        assertThat(b.steps()).hasSameSizeAs(a.steps());
        for (int i = 0; i < a.steps().size(); i++) {
            StepResult x = a.steps().get(i);
            StepResult y = b.steps().get(i);
            assertThat(y.stepLabel()).isEqualTo(x.stepLabel());
            assertThat(y.movedKeys()).isEqualTo(x.movedKeys());
            assertThat(y.load()).isEqualTo(x.load());
        }
    }

    @Test
    void sideBySideAlgorithmsSeeTheSameSteps() {
        SimResult r = run(10, List.of("fail:1", "add:2"), 1, TestHashes.hrwSpec(), TestHashes.moduloSpec());
        assertThat(r.steps()).hasSize(4);
        assertThat(r.steps().get(0).stepLabel()).isEqualTo(r.steps().get(2).stepLabel());
        assertThat(r.steps().get(1).stepLabel()).isEqualTo(r.steps().get(3).stepLabel());
        assertThat(r.loads()).hasSize(6);
    }

    @Test
    void idealMoveWorkedExamples() {
        assertThat(Simulator.idealMove(new int[] {1, 1, 1, 1}, new int[] {1, 1, 1, 0})).isCloseTo(0.25, within(1e-12));
        assertThat(Simulator.idealMove(new int[] {1, 1, 0}, new int[] {1, 1, 1})).isCloseTo(1.0 / 3, within(1e-12));
        assertThat(Simulator.idealMove(new int[] {1, 1}, new int[] {1, 1})).isZero();
    }
}
