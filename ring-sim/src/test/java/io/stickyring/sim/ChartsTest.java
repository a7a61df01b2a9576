package io.stickyring.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.stickyring.sim.engine.EventResult;
import io.stickyring.sim.engine.LoadSnapshot;
import io.stickyring.sim.engine.Progress;
import io.stickyring.sim.engine.SimResult;
import io.stickyring.sim.engine.Simulator;
import io.stickyring.sim.report.Charts;
import io.stickyring.sim.scenario.Cluster;
import io.stickyring.sim.scenario.Event;
import io.stickyring.sim.scenario.Scenario;
import io.stickyring.sim.workload.Workload;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.data.category.CategoryDataset;
import org.junit.jupiter.api.Test;

/** The charts plot the measured numbers: checked on the datasets, not the pixels. */
class ChartsTest {

    private static final SimResult R = new Simulator(1, false).run(
            Workload.parse("ipv4:n=20000").generate(TestHashes.KEYS, 1),
            List.of(TestHashes.hrwSpec(), TestHashes.moduloSpec()),
            new Scenario(Cluster.uniform(5), List.of(Event.parse("fail:1"), Event.parse("add:2")), 1), Progress.NONE);

    /** JFreeChart's key lists are raw; copy them into typed ones. */
    private static List<String> keys(List<?> raw) {
        return raw.stream().map(Object::toString).toList();
    }

    @Test
    void movedChartHasOneBarPerAlgorithmAndEventPlusTheIdeal() {
        CategoryDataset ds = Charts.moved(R).getCategoryPlot().getDataset();
        assertThat(keys(ds.getRowKeys())).containsExactly("test-hrw", "test-mod", "ideal minimum");
        assertThat(keys(ds.getColumnKeys())).containsExactly("#1 fail:1", "#2 add:2");
        for (EventResult e : R.events()) {
            if (e.event() > 0) {
                String col = "#" + e.event() + " " + e.eventText();
                assertThat(ds.getValue(e.algorithm(), col).doubleValue()).isCloseTo(100 * e.movedKeys(), within(1e-9));
                assertThat(ds.getValue("ideal minimum", col).doubleValue()).isCloseTo(100 * e.ideal(), within(1e-9));
            }
        }
    }

    @Test
    void loadChartShowsDeviationFromFairShare() {
        JFreeChart c = Charts.load(R, 2);
        CategoryDataset ds = c.getCategoryPlot().getDataset();
        LoadSnapshot s = R.loads().stream().filter(x -> x.event() == 2 && x.algorithm().equals("test-mod")).findFirst()
                .orElseThrow();
        assertThat(keys(ds.getColumnKeys())).hasSize(6); // 5 - 1 + 2 members
        for (int i = 0; i < s.members().size(); i++) {
            assertThat(ds.getValue("test-mod", s.members().get(i)).doubleValue())
                    .isCloseTo(100 * (s.loads()[i] / s.fair()[i] - 1), within(1e-9));
        }
        assertThat(c.getTitle().getText()).contains("#2 add:2");
    }

    @Test
    void excessChartIsMovedOverIdeal() {
        CategoryDataset ds = Charts.excess(R).getCategoryPlot().getDataset();
        EventResult e = R.events().stream().filter(x -> x.event() == 1 && x.algorithm().equals("test-mod")).findFirst()
                .orElseThrow();
        assertThat(ds.getValue("test-mod", "#1 fail:1").doubleValue()).isCloseTo(e.movedKeys() / e.ideal(), within(1e-9));
    }
}
