package io.stickyring.sim.report;

import io.stickyring.sim.engine.EventResult;
import io.stickyring.sim.engine.LoadSnapshot;
import io.stickyring.sim.engine.SimResult;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * PNG charts of simulation results, drawn with JFreeChart (headless).
 *
 * <ul>
 *   <li>{@link #load}: each member's connections relative to its fair share (1.0 = perfect), one bar per algorithm;</li>
 *   <li>{@link #moved}: fraction of keys moved per event, per algorithm, next to the ideal minimum;</li>
 *   <li>{@link #balance}: peak-to-average load against a size parameter (virtual nodes, table size).</li>
 * </ul>
 */
public final class Charts {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    /**
     * Load per member after event {@code event} (0 = initial) as a sorted distribution: x = member
     * rank by load/fair (busiest first), y = load/fair, one line per algorithm, and the band
     * 1 +- 2 x the key-sampling noise floor (what a perfectly even algorithm would show with this
     * workload), so Maglev's sampling noise is not read as imbalance. Readable at any member count.
     */
    public static JFreeChart load(SimResult r, int event) {
        XYSeriesCollection ds = new XYSeriesCollection();
        String title = null;
        double noise = Double.NaN;
        int maxMembers = 0;
        for (LoadSnapshot s : r.loads()) {
            if (s.event() != event) {
                continue;
            }
            title = s.eventText();
            double[] rel = new double[s.members().size()];
            for (int i = 0; i < rel.length; i++) {
                rel[i] = s.loads()[i] / s.fair()[i];
            }
            java.util.Arrays.sort(rel);
            XYSeries xs = new XYSeries(s.algorithm());
            for (int i = 0; i < rel.length; i++) {
                xs.add(i + 1, rel[rel.length - 1 - i]);
            }
            ds.addSeries(xs);
            maxMembers = Math.max(maxMembers, rel.length);
            for (EventResult e : r.events()) {
                if (e.event() == event && e.algorithm().equals(s.algorithm())) {
                    noise = e.noiseFloor();
                }
            }
        }
        if (title == null) {
            throw new IllegalArgumentException("no event " + event + " in this result (events 0.." + r.eventTexts().size() + ")");
        }
        int algorithms = ds.getSeriesCount();
        if (!Double.isNaN(noise)) {
            XYSeries hi = new XYSeries("noise band (1 +- 2 x " + Fmt.pct(noise).trim() + ")");
            XYSeries lo = new XYSeries(" ");
            hi.add(1, 1 + 2 * noise);
            hi.add(maxMembers, 1 + 2 * noise);
            lo.add(1, Math.max(0, 1 - 2 * noise));
            lo.add(maxMembers, Math.max(0, 1 - 2 * noise));
            ds.addSeries(hi);
            ds.addSeries(lo);
        }
        JFreeChart chart = ChartFactory.createXYLineChart("Load per member after " + (event == 0 ? "start" : "#" + event + " " + title)
                        + ", sorted", "member rank (busiest first)", "load / fair share", ds, PlotOrientation.VERTICAL, true,
                false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, maxMembers <= 40);
        for (int i = 0; i < algorithms; i++) {
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        for (int i = algorithms; i < ds.getSeriesCount(); i++) {
            renderer.setSeriesPaint(i, Color.GRAY);
            renderer.setSeriesShapesVisible(i, false);
            renderer.setSeriesStroke(i, new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                    new float[] {6f, 4f}, 0f));
            renderer.setSeriesVisibleInLegend(i, i == algorithms);
        }
        plot.setRenderer(renderer);
        plot.addRangeMarker(new ValueMarker(1.0, Color.DARK_GRAY, new BasicStroke(1.0f)));
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        NumberAxis x = (NumberAxis) plot.getDomainAxis();
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        return chart;
    }

    /** Keys moved per event (summed over its steps), per algorithm, with the ideal minimum. */
    public static JFreeChart moved(SimResult r) {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        boolean idealAdded = false;
        for (EventResult e : r.events()) {
            if (e.event() == 0) {
                continue;
            }
            String cat = "#" + e.event() + " " + e.eventText();
            ds.addValue(100 * e.movedKeys(), e.algorithm(), cat);
        }
        for (EventResult e : r.events()) {
            if (e.event() == 0 || !e.algorithm().equals(r.algorithms().get(0))) {
                continue;
            }
            ds.addValue(100 * e.ideal(), "ideal minimum", "#" + e.event() + " " + e.eventText());
            idealAdded = true;
        }
        JFreeChart chart = ChartFactory.createBarChart("Keys moved per event", "event", "% of keys moved", ds,
                PlotOrientation.VERTICAL, true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        style(plot);
        logIfDecades(plot, ds, "% of keys moved (log)");
        if (idealAdded) {
            ((BarRenderer) plot.getRenderer()).setSeriesPaint(ds.getRowIndex("ideal minimum"), Color.LIGHT_GRAY);
        }
        plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        return chart;
    }

    /** Keys moved per event over the ideal minimum (1.0 = optimal), per algorithm. */
    public static JFreeChart excess(SimResult r) {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        for (EventResult e : r.events()) {
            if (e.event() == 0 || Double.isNaN(e.excess())) {
                continue;
            }
            ds.addValue(e.excess(), e.algorithm(), "#" + e.event() + " " + e.eventText());
        }
        JFreeChart chart = ChartFactory.createBarChart("Keys moved relative to the ideal minimum", "event",
                "moved / ideal (1 = optimal)", ds, PlotOrientation.VERTICAL, true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        style(plot);
        logIfDecades(plot, ds, "moved / ideal (log; 1 = optimal)");
        plot.addRangeMarker(new ValueMarker(1.0, Color.DARK_GRAY, new BasicStroke(1.5f)));
        plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        return chart;
    }

    /** One series per algorithm: x = size parameter, y = the named metric. */
    public static JFreeChart balance(String title, String xLabel, String yLabel, Map<String, List<double[]>> series,
                                     boolean logX) {
        XYSeriesCollection ds = new XYSeriesCollection();
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            XYSeries s = new XYSeries(e.getKey());
            for (double[] p : e.getValue()) {
                s.add(p[0], p[1]);
            }
            ds.addSeries(s);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, ds, PlotOrientation.VERTICAL, true,
                false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < PALETTE.length; i++) {
            renderer.setSeriesPaint(i, PALETTE[i]);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        // Interval bounds are drawn as thin grey dashes so they read as a band, not as data series.
        for (int i = 0; i < ds.getSeriesCount(); i++) {
            if (String.valueOf(ds.getSeriesKey(i)).contains("interval")) {
                renderer.setSeriesPaint(i, Color.GRAY);
                renderer.setSeriesShapesVisible(i, false);
                renderer.setSeriesStroke(i, new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                        new float[] {5f, 4f}, 0f));
            }
        }
        plot.setRenderer(renderer);
        if (logX) {
            LogAxis x = new LogAxis(xLabel);
            x.setBase(10);
            x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
            plot.setDomainAxis(x);
        }
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        return chart;
    }

    /**
     * A log range axis when the positive values span more than a decade and a half (jump's 978%
     * beside ring's 10% swamps a linear axis); bars then grow from the smallest decade shown.
     */
    public static boolean logIfDecades(CategoryPlot plot, DefaultCategoryDataset ds, String label) {
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        for (int r = 0; r < ds.getRowCount(); r++) {
            for (int c = 0; c < ds.getColumnCount(); c++) {
                Number v = ds.getValue(r, c);
                if (v != null && v.doubleValue() > 0) {
                    min = Math.min(min, v.doubleValue());
                    max = Math.max(max, v.doubleValue());
                }
            }
        }
        if (max == 0 || max / min < 30) {
            return false;
        }
        LogAxis y = new LogAxis(label);
        y.setBase(10);
        y.setSmallestValue(Math.pow(10, Math.floor(Math.log10(min))));
        y.setLowerBound(Math.pow(10, Math.floor(Math.log10(min))));
        y.setUpperBound(Math.pow(10, Math.ceil(Math.log10(max * 1.05))));
        // One tick per decade, printed as plain numbers (0.1, 1, 10, 100), not 10^0.2.
        y.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1.0));
        y.setNumberFormatOverride(new java.text.DecimalFormat("#,##0.###"));
        y.setMinorTickCount(9);
        y.setMinorTickMarksVisible(true);
        plot.setRangeAxis(y);
        ((BarRenderer) plot.getRenderer()).setBase(y.getLowerBound());
        return true;
    }

    private static void style(CategoryPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        BarRenderer r = (BarRenderer) plot.getRenderer();
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setItemMargin(0.02);
        for (int i = 0; i < PALETTE.length; i++) {
            r.setSeriesPaint(i, PALETTE[i]);
        }
    }

    /** Distinguishable colours (the "tab10" set) so series read the same in every chart. */
    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
            new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
            new Color(0xbcbd22), new Color(0x17becf)};

    public static void png(JFreeChart chart, Path file, int width, int height) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ChartUtils.saveChartAsPNG(file.toFile(), chart, width, height);
    }
}
