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

    /** Issue 16: the load chart is the sorted distribution of load/fair per algorithm, with the noise band. */
    @Test
    void loadChartIsTheSortedDistributionWithTheNoiseBand() {
        JFreeChart c = Charts.load(R, 2);
        org.jfree.data.xy.XYDataset ds = c.getXYPlot().getDataset();
        LoadSnapshot s = R.loads().stream().filter(x -> x.event() == 2 && x.algorithm().equals("test-mod")).findFirst()
                .orElseThrow();
        int series = -1;
        for (int i = 0; i < ds.getSeriesCount(); i++) {
            if (ds.getSeriesKey(i).equals("test-mod")) {
                series = i;
            }
        }
        assertThat(ds.getItemCount(series)).isEqualTo(6); // 5 - 1 + 2 members
        double[] expected = new double[s.members().size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = s.loads()[i] / s.fair()[i];
        }
        java.util.Arrays.sort(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(ds.getXValue(series, i)).isEqualTo(i + 1.0);
            assertThat(ds.getYValue(series, i)).isCloseTo(expected[expected.length - 1 - i], within(1e-9));
        }
        EventResult e = R.events().stream().filter(x -> x.event() == 2).findFirst().orElseThrow();
        String band = "noise band (1 +- 2 x " + io.stickyring.sim.report.Fmt.pct(e.noiseFloor()).trim() + ")";
        int b = -1;
        for (int i = 0; i < ds.getSeriesCount(); i++) {
            if (ds.getSeriesKey(i).equals(band)) {
                b = i;
            }
        }
        assertThat(b).as("noise band series").isNotNegative();
        assertThat(ds.getYValue(b, 0)).isCloseTo(1 + 2 * e.noiseFloor(), within(1e-12));
        assertThat(c.getTitle().getText()).contains("#2 add:2");
    }

    /** Moved bars spanning more than a factor of 30 (jump 978% beside ring 10%) get a log axis; closer ones stay linear. */
    @Test
    void movedChartUsesALogAxisOnlyWhenValuesSpanDecades() {
        org.jfree.data.category.DefaultCategoryDataset wide = new org.jfree.data.category.DefaultCategoryDataset();
        wide.addValue(978.0, "jump", "e");
        wide.addValue(10.0, "ring", "e");
        org.jfree.chart.plot.CategoryPlot p1 = org.jfree.chart.ChartFactory.createBarChart("t", "x", "y", wide).getCategoryPlot();
        assertThat(Charts.logIfDecades(p1, wide, "y")).isTrue();
        assertThat(p1.getRangeAxis()).isInstanceOf(org.jfree.chart.axis.LogAxis.class);
        org.jfree.data.category.DefaultCategoryDataset narrow = new org.jfree.data.category.DefaultCategoryDataset();
        narrow.addValue(11.0, "maglev", "e");
        narrow.addValue(10.0, "ring", "e");
        org.jfree.chart.plot.CategoryPlot p2 = org.jfree.chart.ChartFactory.createBarChart("t", "x", "y", narrow).getCategoryPlot();
        assertThat(Charts.logIfDecades(p2, narrow, "y")).isFalse();
    }

    @Test
    void excessChartIsMovedOverIdeal() {
        CategoryDataset ds = Charts.excess(R).getCategoryPlot().getDataset();
        EventResult e = R.events().stream().filter(x -> x.event() == 1 && x.algorithm().equals("test-mod")).findFirst()
                .orElseThrow();
        assertThat(ds.getValue("test-mod", "#1 fail:1").doubleValue()).isCloseTo(e.movedKeys() / e.ideal(), within(1e-9));
    }
}
