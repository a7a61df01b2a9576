package io.stickyring.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: `sweep --trials N` draws fresh member ids per trial (so ring figures vary and get an
 * interval), and the JSON carries the exact share distribution: per-member shares, Maglev slot
 * counts, min and the 0.5%/99.5% quantiles.
 */
class SweepTrialsTest {

    @Test
    void trialsGiveIntervalsAndExactDistributions(@TempDir Path dir) throws Exception {
        CliTest.Run r = CliTest.sim("sweep", "-n", "20", "-s", "ring:vnodes=50", "-s", "maglev:table=1009", "-s",
                "multiprobe:probes=5", "-w", "ipv4:n=20000", "--trials", "6", "--build-repeats", "2", "--no-progress",
                "--json", dir.resolve("s.json").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("6 trials (fresh member ids each)", "+-", "99% of members within", "n/a");
        JsonNode json = new ObjectMapper().readTree(dir.resolve("s.json").toFile());
        JsonNode ring = json.get(0);
        JsonNode peak = ring.get("keySpacePeak");
        assertThat(peak.get("trials").asInt()).isEqualTo(6);
        assertThat(peak.get("sd").asDouble()).as("trials must differ: fresh ids").isPositive();
        assertThat(peak.get("lo").asDouble()).isLessThan(peak.get("mean").asDouble()).isLessThan(peak.get("hi").asDouble());
        double sum = 0;
        for (JsonNode s : ring.get("memberShares")) {
            sum += s.asDouble();
        }
        assertThat(ring.get("memberShares")).hasSize(20);
        assertThat(ring.get("memberIds")).hasSize(20);
        assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(ring.get("keySpaceMin").get("mean").asDouble()).isLessThan(ring.get("keySpaceQ995").get("mean").asDouble());
        JsonNode maglev = json.get(1);
        int slots = 0;
        for (JsonNode c : maglev.get("slotCounts")) {
            slots += c.asInt();
        }
        assertThat(slots).isEqualTo(1009);
        assertThat(ring.get("slotCounts").isNull()).isTrue();
    }

    @Test
    void badTrialCountIsRefused() {
        CliTest.Run r = CliTest.sim("sweep", "-s", "ring:vnodes=10", "--trials", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("trials (0) must be >= 1");
    }
}
