package io.stickyring.sim;

import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.HashAlgorithm;
import io.stickyring.ring.HashConfig;
import io.stickyring.ring.MaglevHash;
import io.stickyring.ring.Node;
import io.stickyring.ring.RingHash;
import io.stickyring.sim.engine.Balance;
import io.stickyring.sim.engine.LoadStats;
import io.stickyring.sim.engine.Progress;
import io.stickyring.sim.paper.Estimate;
import io.stickyring.sim.paper.Figure;
import io.stickyring.sim.paper.Presets;
import io.stickyring.sim.report.Charts;
import io.stickyring.sim.report.Fmt;
import io.stickyring.sim.report.Reports;
import io.stickyring.sim.report.TextTable;
import io.stickyring.sim.scenario.Cluster;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * `sim paper NAME`: re-runs the setup of a published comparison on our production algorithms and
 * prints our numbers next to what the paper claims.
 *
 * <p>We quote the papers' qualitative claims, not their exact figures; where a number is shown as
 * "theory" it is computed, not copied.
 */
@Command(name = "paper", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Reproduce a published setup on the production algorithms.",
                "  lamping2014  std dev of bucket sizes, Karger-style ring (k points per bucket) vs jump hash",
                "               (Lamping & Veach, 'A Fast, Minimal Memory, Consistent Hash Algorithm', 2014)",
                "  maglev2016   balance and disruption of Maglev vs ring (Karger) vs rendezvous, 1000 backends,",
                "               tables of 65537 and 655373 (Eisenbud et al., 'Maglev', NSDI 2016, section 5.3)",
                "Presets over --trials fresh member-id sets (mean and 95%% t-interval per figure, published value beside it):",
                "  karger       ring share/mean spread and its 99%% interval vs points per server (Lamping & Veach's table)",
                "  ring-peak    ring busiest/mean vs points per server",
                "  jump-growth  jump moves 1/(n+1) of the keys on growth",
                "  maglev       Maglev slot counts and rendezvous over-provision (NSDI'16 sections 3.4, 5.3)",
                "  disruption   Maglev vs ring disruption on one removal",
                "  multiprobe   multi-probe peak/avg vs probes (Appleton & O'Reilly 2015)",
                "  bounded      bounded-loads max/mean vs c (Mirrokni et al. 2018)",
                "  anchor       AnchorHash hashes per lookup, balance, consistency (Mendelson et al., ToN 2021)",
                "  all          every preset above"})
public final class PaperCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    io.stickyring.cli.ConfigOption config = new io.stickyring.cli.ConfigOption();

    @Parameters(index = "0", paramLabel = "NAME", description = "lamping2014 | maglev2016 | karger | ring-peak | jump-growth | maglev | disruption | multiprobe | bounded | anchor | all")
    String name;

    @Option(names = "--trials", paramLabel = "N", description = "Trials per figure for the presets, >= 2 (default per preset: karger 20, ring-peak 50, jump-growth 20, maglev 20, disruption 30, multiprobe 10, bounded 30, anchor 20).")
    Integer trials;

    @Option(names = "--buckets", description = "Buckets/backends (default: 1000).")
    Integer buckets;

    @Option(names = "--keys", description = "Sampled keys (lamping2014 default 10000000).")
    Integer keys;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write the table as CSV.")
    Path csv;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the table as JSON.")
    Path json;

    @Option(names = "--charts", paramLabel = "DIR", description = "Write a chart of the experiment (PNG).")
    Path charts;

    @Option(names = "--progress", negatable = true, description = "Progress bar on stderr (default: when interactive).")
    Boolean progress;

    /** One reported number with its setup and the paper's claim. */
    public record Row(String experiment, String algorithm, String setup, String metric, double ours, String reference) {
    }

    @Override
    public Integer call() throws Exception {
        PaperCommand self = config.resolve(PaperCommand::new);
        if (self != this) {
            return self.call();
        }
        return Cli.guard(spec, this::execute);
    }

    private Integer execute() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String preset = name.toLowerCase(java.util.Locale.ROOT);
        if (preset.equals("all") || Presets.DEFAULT_TRIALS.containsKey(preset)) {
            return presets(preset, out);
        }
        List<Row> rows;
        switch (preset) {
            case "lamping2014" -> {
                int k = keys == null ? 10_000_000 : keys;
                if (k < 1) {
                    throw new IllegalArgumentException("keys (" + k + ") must be >= 1");
                }
                Progress p = progress(2L * k);
                rows = lamping(buckets == null ? 1000 : buckets, k, seed, out, p);
                p.done();
            }
            case "maglev2016" -> {
                Progress p = progress(10);
                rows = maglev(buckets == null ? 1000 : buckets, seed, out, p);
                p.done();
            }
            default -> throw new IllegalArgumentException("unknown paper '" + name + "' (expected lamping2014, maglev2016, "
                    + String.join(", ", Presets.DEFAULT_TRIALS.keySet()) + ", all)");
        }
        TextTable t = new TextTable(List.of("experiment", "algorithm", "setup", "metric", "ours", "paper / reference"));
        for (Row r : rows) {
            t.row(List.of(r.experiment(), r.algorithm(), r.setup(), r.metric(), format(r), r.reference()));
        }
        out.print(t.render());
        if (csv != null) {
            StringBuilder sb = new StringBuilder("experiment,algorithm,setup,metric,ours,reference\n");
            for (Row r : rows) {
                sb.append(String.join(",", r.experiment(), r.algorithm(), quote(r.setup()), r.metric(), Fmt.num(r.ours()),
                        quote(r.reference()))).append('\n');
            }
            Reports.write(sb.toString(), csv);
            out.println("wrote " + csv);
        }
        if (json != null) {
            Reports.writeJson(rows, json);
            out.println("wrote " + json);
        }
        if (charts != null) {
            chart(rows, charts, out);
        }
        out.flush();
        return 0;
    }

    private Integer presets(String preset, PrintWriter out) throws java.io.IOException {
        if (trials != null && trials < 2) {
            throw new IllegalArgumentException("trials (" + trials + ") must be >= 2 for an interval");
        }
        List<String> names = preset.equals("all") ? List.copyOf(Presets.DEFAULT_TRIALS.keySet()) : List.of(preset);
        Progress p = progress(names.size());
        List<Figure> figures = new ArrayList<>();
        for (String n : names) {
            figures.addAll(Presets.run(n, trials != null ? trials : Presets.DEFAULT_TRIALS.get(n), seed));
            p.advance(1);
        }
        p.done();
        out.println("ours: mean over trials (fresh member ids per trial from --seed " + seed
                + ") with a 95% Student t interval; 'check' compares the published value (or the named theory) with it");
        out.print(presetTable(figures).render());
        out.println();
        String last = null;
        for (Figure f : figures) {
            if (!f.note().isEmpty() && !f.preset().equals(last)) {
                out.println(f.preset() + ": " + f.note());
                last = f.preset();
            }
        }
        if (csv != null) {
            StringBuilder sb = new StringBuilder("preset,figure,setup,published,source,mean,ci95_lo,ci95_hi,sd,trials,check\n");
            for (Figure f : figures) {
                sb.append(String.join(",", f.preset(), quote(f.figure()), quote(f.setup()), quote(f.published()),
                        quote(f.source()), Fmt.num(f.ours().mean()), Fmt.num(f.ours().lo()), Fmt.num(f.ours().hi()),
                        Fmt.num(f.ours().sd()), String.valueOf(f.ours().trials()), f.verdict())).append('\n');
            }
            Reports.write(sb.toString(), csv);
            out.println("wrote " + csv);
        }
        if (json != null) {
            Reports.writeJson(figures, json);
            out.println("wrote " + json);
        }
        if (charts != null) {
            presetCharts(figures, charts, out);
        }
        out.flush();
        return 0;
    }

    static TextTable presetTable(List<Figure> figures) {
        TextTable t = new TextTable(List.of("preset", "figure", "setup", "published (source)", "ours", "95% interval",
                "trials", "check"));
        for (Figure f : figures) {
            Estimate e = f.ours();
            t.row(List.of(f.preset(), f.figure(), f.setup(), f.published() + " (" + f.source() + ")",
                    String.format(java.util.Locale.ROOT, "%.4f", e.mean()),
                    String.format(java.util.Locale.ROOT, "[%.4f, %.4f]", e.lo(), e.hi()), String.valueOf(e.trials()),
                    f.verdict()));
        }
        return t;
    }

    /** ring-peak and multiprobe as charts: mean with its interval against the swept size (log x). */
    private static void presetCharts(List<Figure> figures, Path dir, PrintWriter out) throws java.io.IOException {
        Map<String, List<double[]>> peak = new LinkedHashMap<>();
        Map<String, List<double[]>> mp = new LinkedHashMap<>();
        for (Figure f : figures) {
            if (f.preset().equals("ring-peak")) {
                double k = Double.parseDouble(f.setup().replaceAll(".*, (\\d+) points each.*", "$1"));
                peak.computeIfAbsent("production ring (mean)", x -> new ArrayList<>()).add(new double[] {k, f.ours().mean()});
                peak.computeIfAbsent("95% interval low", x -> new ArrayList<>()).add(new double[] {k, f.ours().lo()});
                peak.computeIfAbsent("95% interval high", x -> new ArrayList<>()).add(new double[] {k, f.ours().hi()});
                peak.computeIfAbsent("uniform-point model", x -> new ArrayList<>()).add(new double[] {k, f.expected()});
            } else if (f.preset().equals("multiprobe") && f.check() == Figure.Check.AT_MOST) {
                double k = Double.parseDouble(f.figure().replaceAll(".*, (\\d+) probes", "$1"));
                mp.computeIfAbsent("multi-probe (mean)", x -> new ArrayList<>()).add(new double[] {k, f.ours().mean()});
                mp.computeIfAbsent("95% interval high", x -> new ArrayList<>()).add(new double[] {k, f.ours().hi()});
                mp.computeIfAbsent("published 1+1/(k-1)", x -> new ArrayList<>()).add(new double[] {k, 1 + 1 / (k - 1)});
            }
        }
        if (!peak.isEmpty()) {
            Charts.png(Charts.balance("Ring busiest/mean vs points per server", "points per server (log)", "busiest / mean",
                    peak, true), dir.resolve("paper-ring-peak.png"), 900, 550);
            out.println("wrote " + dir.resolve("paper-ring-peak.png"));
        }
        if (!mp.isEmpty()) {
            Charts.png(Charts.balance("Multi-probe peak/average vs probes", "probes per key (log)", "peak / average",
                    mp, true), dir.resolve("paper-multiprobe.png"), 900, 550);
            out.println("wrote " + dir.resolve("paper-multiprobe.png"));
        }
    }

    private Progress progress(long units) {
        boolean show = progress != null ? progress : System.console() != null;
        return show ? new Progress(new java.io.PrintStream(new RunCommand.WriterStream(spec.commandLine().getErr()), true),
                units, "paper " + name) : Progress.NONE;
    }

    private static String format(Row r) {
        return r.metric().contains("%") ? Fmt.pct(r.ours()) : Fmt.ratio(r.ours());
    }

    private static String quote(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    /**
     * Lamping & Veach 2014: how evenly each algorithm splits the key space over {@code buckets}
     * buckets. Ring: exact arc lengths for k points per bucket (theory: std dev ~ 1/sqrt(k));
     * jump: measured over sampled keys, whose own noise floor is reported next to it.
     */
    static List<Row> lamping(int buckets, int samples, long seed, PrintWriter out, Progress progress) {
        if (buckets < 1) {
            throw new IllegalArgumentException("buckets (" + buckets + ") must be >= 1");
        }
        out.println("lamping2014: " + buckets + " buckets; ring std dev exact over the key space; jump and ring also over "
                + samples + " sampled 64-bit keys (seed " + seed + ")");
        List<Node> nodes = Cluster.uniform(buckets).ringNodes();
        double noise = Balance.samplingNoise(nodes, samples);
        List<Row> rows = new ArrayList<>();
        String claim = "ring std dev shrinks ~1/sqrt(k): theory ";
        for (int k : new int[] {1, 10, 100, 1000}) {
            ConsistentHash ring = new RingHash(nodes, k);
            LoadStats exact = Balance.ofShares(ring);
            rows.add(new Row("lamping2014", "ring", buckets + " buckets, k=" + k + " points/bucket, exact",
                    "std dev %", exact.stdDev(), claim + Fmt.pct(1 / Math.sqrt(k))));
        }
        ConsistentHash ring1000 = new RingHash(nodes, 1000);
        ConsistentHash jump = HashConfig.of(HashAlgorithm.JUMP).build(nodes);
        LoadStats ringSampled = sampled(ring1000, samples, seed, progress);
        LoadStats jumpSampled = sampled(jump, samples, seed, progress);
        rows.add(new Row("lamping2014", "ring", buckets + " buckets, k=1000, " + samples + " keys", "std dev %",
                ringSampled.stdDev(), "sampled: sqrt(exact^2 + noise^2) = " + Fmt.pct(Math.sqrt(
                        Math.pow(Balance.ofShares(ring1000).stdDev(), 2) + noise * noise))));
        rows.add(new Row("lamping2014", "jump", buckets + " buckets, " + samples + " keys", "std dev %",
                jumpSampled.stdDev(), "jump splits evenly: only key-sampling noise, " + Fmt.pct(noise)));
        rows.add(new Row("lamping2014", "jump", buckets + " buckets, noise removed", "std dev %",
                Math.sqrt(Math.max(0, jumpSampled.stdDev() * jumpSampled.stdDev() - noise * noise)),
                "~0 (even split of the key space)"));
        return rows;
    }

    private static LoadStats sampled(ConsistentHash h, int samples, long seed, Progress progress) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] loads = new long[h.nodes().size()];
        for (int i = 0; i < samples; i++) {
            loads[h.ownerIndex(rnd.nextLong())]++;
            if ((i & 0xffff) == 0xffff) {
                progress.advance(0x10000);
            }
        }
        progress.advance(samples & 0xffff);
        return LoadStats.of(loads, h.nodes().stream().mapToInt(Node::weight).toArray());
    }

    /**
     * Eisenbud et al. 2016, section 5.3: 1000 backends; each method fills a lookup table of M
     * entries (Maglev: its own table, exact; ring and rendezvous: the owners of M random keys),
     * balance = max entries per backend / average; then k% of backends fail at once and we count
     * the table entries that change, against the minimum k%.
     */
    static List<Row> maglev(int backends, long seed, PrintWriter out, Progress progress) {
        if (backends < 2) {
            throw new IllegalArgumentException("buckets (" + backends + ") must be >= 2");
        }
        out.println("maglev2016: " + backends + " backends; balance = max/avg table entries per backend; "
                + "disruption = table entries changed when k% of backends fail (seed " + seed + ")");
        List<Node> nodes = Cluster.uniform(backends).ringNodes();
        List<Row> rows = new ArrayList<>();
        ConsistentHash ring = HashConfig.of(HashAlgorithm.RING).build(nodes);
        ConsistentHash hrw = HashConfig.of(HashAlgorithm.RENDEZVOUS).build(nodes);
        for (int m : new int[] {65537, 655373}) {
            String size = m == 65537 ? "small" : "large";
            MaglevHash mag = new MaglevHash(nodes, m);
            int[] slots = mag.slotCounts();
            rows.add(new Row("maglev2016 balance", "maglev", "M=" + m + " (" + size + ")", "max/avg",
                    max(slots) / ((double) m / backends), "near 1 at both sizes (Maglev fills slots evenly)"));
            long[] keys = randomKeys(m, seed);
            rows.add(new Row("maglev2016 balance", "ring", "M=" + m + ", " + ((RingHash) ring).vnodesPerWeight()
                    + " vnodes", "max/avg", Balance.ofKeys(ring, keys, null).peakToAverage(),
                    "worse than Maglev; better with the larger table"));
            rows.add(new Row("maglev2016 balance", "rendezvous", "M=" + m, "max/avg",
                    Balance.ofKeys(hrw, keys, null).peakToAverage(), "worse than Maglev; better with the larger table"));
            progress.advance(3);
        }
        Random rnd = new Random(seed);
        for (int pct : new int[] {1, 2, 5, 10}) {
            int k = backends * pct / 100;
            List<Node> shuffled = new ArrayList<>(nodes);
            Collections.shuffle(shuffled, rnd);
            List<Node> after = shuffled.subList(k, shuffled.size());
            for (int m : new int[] {65537, 655373}) {
                MaglevHash before = new MaglevHash(nodes, m);
                MaglevHash next = new MaglevHash(after, m);
                rows.add(new Row("maglev2016 disruption", "maglev", pct + "% fail, M=" + m, "entries changed %",
                        changedSlots(before, next), "minimum " + pct + "%; more with the small table"));
            }
            long[] keys = randomKeys(65537, seed);
            for (HashAlgorithm a : new HashAlgorithm[] {HashAlgorithm.RING, HashAlgorithm.RENDEZVOUS}) {
                ConsistentHash b = HashConfig.of(a).build(nodes);
                ConsistentHash n = HashConfig.of(a).build(after);
                rows.add(new Row("maglev2016 disruption", a.cliName(), pct + "% fail, 65537 keys", "entries changed %",
                        changedKeys(b, n, keys), "minimum " + pct + "% (moves only the failed backends' keys)"));
            }
            progress.advance(1);
        }
        return rows;
    }

    private static int max(int[] v) {
        int m = 0;
        for (int x : v) {
            m = Math.max(m, x);
        }
        return m;
    }

    private static long[] randomKeys(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] k = new long[n];
        for (int i = 0; i < n; i++) {
            k[i] = rnd.nextLong();
        }
        return k;
    }

    static double changedSlots(MaglevHash a, MaglevHash b) {
        int changed = 0;
        for (int s = 0; s < a.tableSize(); s++) {
            if (!a.nodes().get(a.slotOwner(s)).id().equals(b.nodes().get(b.slotOwner(s)).id())) {
                changed++;
            }
        }
        return (double) changed / a.tableSize();
    }

    static double changedKeys(ConsistentHash a, ConsistentHash b, long[] keys) {
        int changed = 0;
        for (long k : keys) {
            if (!a.owner(k).id().equals(b.owner(k).id())) {
                changed++;
            }
        }
        return (double) changed / keys.length;
    }

    private void chart(List<Row> rows, Path dir, PrintWriter out) throws java.io.IOException {
        if (name.equalsIgnoreCase("lamping2014")) {
            Map<String, List<double[]>> s = new LinkedHashMap<>();
            for (Row r : rows) {
                if (r.algorithm().equals("ring") && r.setup().endsWith("exact")) {
                    int k = Integer.parseInt(r.setup().replaceAll(".*k=(\\d+).*", "$1"));
                    s.computeIfAbsent("ring (exact)", x -> new ArrayList<>()).add(new double[] {k, 100 * r.ours()});
                    s.computeIfAbsent("theory 1/sqrt(k)", x -> new ArrayList<>()).add(new double[] {k, 100 / Math.sqrt(k)});
                }
            }
            Row jump = rows.stream().filter(r -> r.setup().endsWith("noise removed")).findFirst().orElseThrow();
            s.put("jump (noise removed)", List.of(new double[] {1, 100 * jump.ours()}, new double[] {1000, 100 * jump.ours()}));
            Charts.png(Charts.balance("Lamping & Veach 2014 setup: std dev of bucket sizes", "points per bucket (k)",
                    "std dev of bucket size (%)", s, true), dir.resolve("lamping2014.png"), 900, 550);
            out.println("wrote " + dir.resolve("lamping2014.png"));
        } else {
            Map<String, List<double[]>> s = new LinkedHashMap<>();
            for (Row r : rows) {
                if (r.experiment().endsWith("disruption")) {
                    double pct = Double.parseDouble(r.setup().replaceAll("^(\\d+)%.*", "$1"));
                    String label = r.algorithm() + (r.algorithm().equals("maglev") ? " " + r.setup().replaceAll(".*(M=\\d+).*", "$1") : "");
                    s.computeIfAbsent(label, x -> new ArrayList<>()).add(new double[] {pct, 100 * r.ours()});
                    s.computeIfAbsent("minimum", x -> new ArrayList<>());
                }
            }
            s.put("minimum", List.of(new double[] {1, 1}, new double[] {2, 2}, new double[] {5, 5}, new double[] {10, 10}));
            Charts.png(Charts.balance("Maglev 2016 setup: entries changed when backends fail", "% of backends failed",
                    "% of entries changed", s, false), dir.resolve("maglev2016.png"), 900, 550);
            out.println("wrote " + dir.resolve("maglev2016.png"));
        }
    }
}
