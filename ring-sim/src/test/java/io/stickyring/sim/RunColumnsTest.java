package io.stickyring.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stickyring.sim.engine.Simulator;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 16: the `run` columns conns ideal, receivers, min/avg, noise floor, and the bounded-loads cap line. */
class RunColumnsTest {

    @Test
    void connectionWeightedIdealIsForcedMovesOrTheKeySpaceIdeal() {
        // Javadoc example: loads 60, 20, 20; member 0 fails.
        assertThat(Simulator.idealConns(new long[] {60, 20, 20}, new int[] {1, 1, 1}, new int[] {0, 1, 1})).isCloseTo(0.6, within(1e-12));
        // A join forces nothing: the key-space ideal 1/4.
        assertThat(Simulator.idealConns(new long[] {60, 20, 20, 0}, new int[] {1, 1, 1, 0}, new int[] {1, 1, 1, 1}))
                .isCloseTo(0.25, within(1e-12));
        // Replacing member 0 by a newcomer: only its connections must move.
        assertThat(Simulator.idealConns(new long[] {60, 20, 20, 0}, new int[] {1, 1, 1, 0}, new int[] {0, 1, 1, 1}))
                .isCloseTo(0.6, within(1e-12));
        // A light member leaving forces only its own connections (less than its 1/3 key-space share).
        assertThat(Simulator.idealConns(new long[] {10, 45, 45}, new int[] {1, 1, 1}, new int[] {0, 1, 1}))
                .isCloseTo(0.1, within(1e-12));
    }

    @Test
    void columnsOfAFailureWithAHeavyClient(@TempDir Path dir) throws Exception {
        // 1000 single-connection clients plus one NAT with 5000 connections.
        StringBuilder sb = new StringBuilder("ip,count\n");
        for (int i = 0; i < 1000; i++) {
            sb.append("10.0.").append(i / 250).append('.').append(i % 250 + 1).append(",1\n");
        }
        sb.append("192.0.2.7,5000\n");
        Path f = dir.resolve("w.csv");
        Files.writeString(f, sb.toString());
        Path json = dir.resolve("r.json");
        CliTest.Run r = CliTest.sim("run", "-n", "5", "-a", "rendezvous", "-w", "file:" + f, "-e", "fail:1",
                "--no-progress", "--no-memory", "--json", json.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("conns ideal", "receivers", "min/avg", "noise floor");
        JsonNode events = new ObjectMapper().readTree(json.toFile()).get("events");
        JsonNode init = events.get(0);
        JsonNode fail = events.get(1);
        // n_eff = 6000^2 / (1000 + 5000^2): the one NAT dominates the noise.
        double nEff = 6000.0 * 6000 / (1000 + 25_000_000.0);
        assertThat(init.get("noiseFloor").asDouble()).isCloseTo(Math.sqrt(0.8 / (nEff * 0.2)), within(1e-9));
        // Rendezvous moves exactly the failed member's connections: conns moved = conns ideal.
        assertThat(fail.get("movedConns").asDouble()).isCloseTo(fail.get("idealConns").asDouble(), within(1e-12));
        assertThat(fail.get("idealConns").asDouble()).isPositive();
        assertThat(fail.get("receivers").asInt()).isEqualTo(4);
        assertThat(fail.get("load").get("minToAverage").asDouble()).isLessThanOrEqualTo(1.0);
        assertThat(fail.get("load").get("peakToAverage").asDouble()).isGreaterThanOrEqualTo(1.0);
    }

    /** Issue 16: `run --trials N` re-places fresh member ids per trial (named events follow) and gives intervals. */
    @Test
    void trialsGiveEveryFigureAnInterval() {
        CliTest.Run r = CliTest.sim("run", "-n", "6", "-a", "ring:vnodes=20", "-a", "rendezvous", "-w", "ipv4:n=5000",
                "-e", "fail:m002", "--trials", "4", "--no-progress", "--no-memory");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("4 trials (fresh member ids per trial from --seed): mean [95% Student t interval]");
        String summary = r.out().substring(r.out().indexOf("4 trials"));
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("ring:vnodes=20 +0 +initial +- +- +- +([0-9.]+) \\[([0-9.]+), ([0-9.]+)\\]").matcher(summary);
        assertThat(m.find()).as(summary).isTrue();
        // Ring placement differs between trials, so its peak/avg has a real interval.
        assertThat(Double.parseDouble(m.group(2))).isLessThan(Double.parseDouble(m.group(3)));
        // Rendezvous removing one of 6 equal members moves about 1/6 in every trial.
        assertThat(summary).containsPattern("rendezvous +1 +fail:m002 +0\\.1[5-8]");
        assertThat(RunCommand.renamed(new RunConfig(java.util.List.of(new io.stickyring.sim.scenario.ClusterMember("m002", 1, false, "")),
                java.util.List.of("ring"), "ipv4:n=10", java.util.List.of("fail:m002", "weight:m002=3", "flap:m002:times=2"), 1, 1,
                "address"), "ab").events()).containsExactly("fail:m002.ab", "weight:m002.ab=3", "flap:m002.ab:times=2");
    }

    @Test
    void boundedRunPrintsItsCapAndTheWorstMemberWhichNeverExceedsIt() {
        CliTest.Run r = CliTest.sim("run", "-n", "10", "-a", "bounded:c=1.1", "-w", "zipf:users=20000:nats=500",
                "--per-connection", "-e", "fail:1", "--no-progress", "--no-memory");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("bounded bounded:c=1.1 #0 initial: c=11/10, worst member",
                "of its cap ceil(c*20000*1/10) = 2200", "bounded bounded:c=1.1 #1 fail:1").doesNotContain("OVER THE CAP");
    }
}
