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

    /** Load per member after event {@code event} (0 = initial). */
    public static JFreeChart load(SimResult r, int event) {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        String title = null;
        for (LoadSnapshot s : r.loads()) {
            if (s.event() != event) {
                continue;
            }
            title = s.eventText();
            for (int i = 0; i < s.members().size(); i++) {
                ds.addValue(100 * (s.loads()[i] / s.fair()[i] - 1), s.algorithm(), s.members().get(i));
            }
        }
        if (title == null) {
            throw new IllegalArgumentException("no event " + event + " in this result (events 0.." + r.eventTexts().size() + ")");
        }
        JFreeChart chart = ChartFactory.createBarChart("Load per member after " + (event == 0 ? "start" : "#" + event + " " + title),
                "member", "deviation from fair share (%)", ds, PlotOrientation.VERTICAL, true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        style(plot);
        plot.addRangeMarker(new ValueMarker(0.0, Color.DARK_GRAY, new BasicStroke(1.0f)));
        if (ds.getColumnCount() > 16) {
            plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_90);
        }
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
