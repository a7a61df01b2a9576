package io.stickyring.sim;

import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.Node;
import io.stickyring.sim.algo.AlgorithmSpec;
import io.stickyring.sim.algo.ProductionCatalog;
import io.stickyring.sim.engine.Balance;
import io.stickyring.sim.engine.LoadStats;
import io.stickyring.sim.engine.MemoryEstimate;
import io.stickyring.sim.engine.Progress;
import io.stickyring.sim.paper.Estimate;
import io.stickyring.sim.paper.Presets;
import io.stickyring.sim.report.Charts;
import io.stickyring.sim.report.Fmt;
import io.stickyring.sim.report.Reports;
import io.stickyring.sim.report.TextTable;
import io.stickyring.sim.scenario.Cluster;
import io.stickyring.sim.workload.KeySet;
import io.stickyring.sim.workload.Workload;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** `sim sweep`: balance against a size parameter (virtual nodes, Maglev table size). */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Balance against a size parameter (virtual nodes, Maglev table size).",
                "Each --series is an algorithm with one parameter given a list of values, e.g. 'ring:vnodes=10,100,1000' or 'maglev:table=251,2053,65537'.",
                "Reports peak-to-average and std dev of load, over the exact key space (ring, maglev) and",
                "over the sampled workload keys, plus build time and memory."},
        footer = {"", "Example: sim sweep -n 10 -s ring:vnodes=10,30,100,300,1000,3000 -s maglev:table=101,1009,10007,65537,655373 --charts out/"})
public final class SweepCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    io.stickyring.cli.ConfigOption config = new io.stickyring.cli.ConfigOption();

    @Option(names = {"-n", "--members"}, defaultValue = "10", description = "Equal members (default ${DEFAULT-VALUE}).")
    int members;

    @Option(names = {"-s", "--series"}, paramLabel = "ALG:PARAM=V1,V2,..", description = "Algorithm and swept parameter (repeat).")
    List<String> series;

    @Option(names = {"-w", "--workload"}, defaultValue = "ipv4:n=1000000", description = "Keys for the sampled columns (default ${DEFAULT-VALUE}).")
    String workload;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Option(names = "--trials", defaultValue = "1", paramLabel = "N", description = {"Trials per point (default ${DEFAULT-VALUE}: the fixed ids m000..).",
            "With N >= 2 every trial draws fresh member ids from --seed; figures are means with a 95%% Student t interval."})
    int trials;

    @Option(names = "--build-repeats", defaultValue = "5", paramLabel = "R", description = "Timed builds per trial after one untimed warm-up build; the median is reported (default ${DEFAULT-VALUE}).")
    int buildRepeats;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write the table as CSV.")
    Path csv;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the table as JSON.")
    Path json;

    @Option(names = "--charts", paramLabel = "DIR", description = "Write balance-peak.png and balance-stddev.png.")
    Path charts;

    @Option(names = "--progress", negatable = true, description = "Progress bar on stderr (default: when interactive).")
    Boolean progress;

    /**
     * One measured point of a series. {@code keySpace}, {@code keys}, {@code memberShares} and
     * {@code slotCounts} are those of the first trial; the Estimates are over all trials (one
     * trial: no interval). Shares are exact key-space fractions per member (ids in
     * {@code memberIds}); slot counts are Maglev's table slots per member (null for the others).
     */
    public record Point(String series, String param, long value, LoadStats keySpace, LoadStats keys, double noise,
                        double buildMs, long memoryBytes, int trials, Estimate keySpacePeak, Estimate keySpaceStdDev,
                        Estimate keySpaceMin, Estimate keySpaceQ005, Estimate keySpaceQ995, Estimate keysPeak,
                        List<String> memberIds, double[] memberShares, int[] slotCounts) {
    }

    @Override
    public Integer call() throws Exception {
        SweepCommand self = config.resolve(SweepCommand::new);
        if (self != this) {
            return self.call();
        }
        return Cli.guard(spec, this::execute);
    }

    private Integer execute() throws Exception {
        if (series == null || series.isEmpty()) {
            throw new IllegalArgumentException("give at least one --series ALG:PARAM=V1,V2,... (e.g. ring:vnodes=10,100,1000)");
        }
        if (trials < 1) {
            throw new IllegalArgumentException("trials (" + trials + ") must be >= 1");
        }
        if (buildRepeats < 1) {
            throw new IllegalArgumentException("build-repeats (" + buildRepeats + ") must be >= 1");
        }
        ProductionCatalog catalog = new ProductionCatalog();
        List<List<Node>> memberSets = memberSets(members, trials, seed);
        KeySet keys = Workload.parse(workload).generate(catalog.clientKeys(), seed);
        boolean show = progress != null ? progress : System.console() != null;
        long values = series.stream().mapToLong(x -> x.split(",").length).sum() * trials;
        Progress bar = show ? new Progress(new java.io.PrintStream(new RunCommand.WriterStream(spec.commandLine().getErr()), true),
                values, "sweep") : Progress.NONE;
        List<Point> points = run(catalog, series, memberSets, keys, bar, buildRepeats);
        bar.done();
        PrintWriter out = spec.commandLine().getOut();
        out.println(members + " equal members; sampled columns over " + keys.description()
                + (trials > 1 ? "; " + trials + " trials (fresh member ids each), mean +- 95% t-interval half-width" : "")
                + "; build: median of " + buildRepeats + " after a warm-up");
        out.print(table(points).render());
        out.flush();
        if (csv != null) {
            StringBuilder sb = new StringBuilder("series,param,value,keyspace_peak_to_avg,keyspace_std_dev,keys_peak_to_avg,"
                    + "keys_std_dev,sampling_noise,build_ms,memory_bytes,trials,keyspace_peak_mean,keyspace_peak_ci95_lo,"
                    + "keyspace_peak_ci95_hi,keyspace_min_mean,keyspace_q005_mean,keyspace_q995_mean\n");
            for (Point p : points) {
                sb.append(String.join(",", p.series(), p.param(), String.valueOf(p.value()),
                        Fmt.num(p.keySpace().peakToAverage()), Fmt.num(p.keySpace().stdDev()),
                        Fmt.num(p.keys().peakToAverage()), Fmt.num(p.keys().stdDev()), Fmt.num(p.noise()),
                        Fmt.num(p.buildMs()), String.valueOf(p.memoryBytes()), String.valueOf(p.trials()),
                        Fmt.num(p.keySpacePeak().mean()), Fmt.num(p.keySpacePeak().lo()), Fmt.num(p.keySpacePeak().hi()),
                        Fmt.num(p.keySpaceMin().mean()), Fmt.num(p.keySpaceQ005().mean()), Fmt.num(p.keySpaceQ995().mean())))
                        .append('\n');
            }
            Reports.write(sb.toString(), csv);
            out.println("wrote " + csv);
        }
        if (json != null) {
            Reports.writeJson(points, json);
            out.println("wrote " + json);
        }
        if (charts != null) {
            Map<String, List<double[]>> peak = new LinkedHashMap<>();
            Map<String, List<double[]>> sd = new LinkedHashMap<>();
            for (Point p : points) {
                String name = p.series() + " (" + p.param() + ")";
                peak.computeIfAbsent(name + " key space", k -> new ArrayList<>()).add(new double[] {p.value(), p.keySpace().peakToAverage()});
                peak.computeIfAbsent(name + " sampled", k -> new ArrayList<>()).add(new double[] {p.value(), p.keys().peakToAverage()});
                sd.computeIfAbsent(name + " key space", k -> new ArrayList<>()).add(new double[] {p.value(), 100 * p.keySpace().stdDev()});
                sd.computeIfAbsent(name + " sampled", k -> new ArrayList<>()).add(new double[] {p.value(), 100 * p.keys().stdDev()});
            }
            Charts.png(Charts.balance("Peak-to-average load vs size (" + members + " members)", "virtual nodes per member / table size",
                    "peak / average", peak, true), charts.resolve("balance-peak.png"), 1000, 600);
            Charts.png(Charts.balance("Std dev of load vs size (" + members + " members)", "virtual nodes per member / table size",
                    "std dev of load / fair share (%)", sd, true), charts.resolve("balance-stddev.png"), 1000, 600);
            out.println("wrote " + charts.resolve("balance-peak.png") + ", balance-stddev.png");
        }
        out.flush();
        return 0;
    }

    /** Trial 0 is m000.. when there is one trial; with several, every trial draws fresh ids from the seed. */
    static List<List<Node>> memberSets(int n, int trials, long seed) {
        if (trials == 1) {
            return List.of(Cluster.uniform(n).ringNodes());
        }
        java.util.SplittableRandom base = new java.util.SplittableRandom(seed);
        List<List<Node>> sets = new ArrayList<>();
        for (int t = 0; t < trials; t++) {
            sets.add(Presets.members(n, base.split()));
        }
        return sets;
    }

    static List<Point> run(ProductionCatalog catalog, List<String> series, List<List<Node>> memberSets, KeySet keys,
                           Progress progress, int buildRepeats) {
        List<Point> points = new ArrayList<>();
        for (String s : series) {
            int colon = s.indexOf(':');
            int eq = s.indexOf('=');
            if (colon < 0 || eq < colon) {
                throw new IllegalArgumentException("series '" + s + "' must look like ALG:PARAM=V1,V2,...");
            }
            String alg = s.substring(0, colon);
            String param = s.substring(colon + 1, eq);
            for (String v : s.substring(eq + 1).split(",")) {
                long value;
                try {
                    value = Long.parseLong(v.trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("series '" + s + "': value (" + v + ") is not an integer", e);
                }
                AlgorithmSpec a = catalog.parse(alg + ":" + param + "=" + value);
                int t = memberSets.size();
                double[] peak = new double[t];
                double[] sd = new double[t];
                double[] min = new double[t];
                double[] q005 = new double[t];
                double[] q995 = new double[t];
                double[] kpeak = new double[t];
                double[] builds = new double[t * buildRepeats];
                Point first = null;
                for (int trial = 0; trial < t; trial++) {
                    List<Node> nodes = memberSets.get(trial);
                    ConsistentHash h = a.build(nodes); // warm-up build, untimed
                    for (int r = 0; r < buildRepeats; r++) {
                        long t0 = System.nanoTime();
                        h = a.build(nodes);
                        builds[trial * buildRepeats + r] = (System.nanoTime() - t0) / 1e6;
                    }
                    // Multi-probe's shares() is only the expectation w/W: its key-space columns would
                    // show a perfect 1.0, so they are left empty (NaN) and the sampled columns speak.
                    boolean exact = !(h instanceof io.stickyring.ring.MultiProbeHash);
                    LoadStats ks = exact ? Balance.ofShares(h) : LoadStats.NONE;
                    LoadStats kk = Balance.ofKeys(h, keys.keys(), keys.counts());
                    double[] rel = exact ? relative(h) : new double[] {Double.NaN};
                    peak[trial] = ks.peakToAverage();
                    sd[trial] = ks.stdDev();
                    min[trial] = rel[0];
                    q005[trial] = Presets.quantile(rel, 0.005);
                    q995[trial] = Presets.quantile(rel, 0.995);
                    kpeak[trial] = kk.peakToAverage();
                    if (trial == 0) {
                        first = new Point(alg, param, value, ks, kk, Balance.samplingNoise(nodes, keys.totalConnections()), 0,
                                MemoryEstimate.bytes(h), t, null, null, null, null, null, null,
                                h.nodes().stream().map(Node::id).toList(), h.shares(),
                                h instanceof io.stickyring.ring.MaglevHash m ? m.slotCounts() : null);
                    }
                    progress.advance(1);
                }
                java.util.Arrays.sort(builds);
                points.add(new Point(alg, param, value, first.keySpace(), first.keys(), first.noise(), builds[builds.length / 2],
                        first.memoryBytes(), t, Estimate.of(peak), Estimate.of(sd), Estimate.of(min), Estimate.of(q005),
                        Estimate.of(q995), Estimate.of(kpeak), first.memberIds(), first.memberShares(), first.slotCounts()));
            }
        }
        return points;
    }

    /** share / fair share per member (weights respected), sorted ascending. */
    static double[] relative(ConsistentHash h) {
        double[] s = h.shares();
        double w = h.nodes().stream().mapToInt(Node::weight).sum();
        double[] r = new double[s.length];
        for (int i = 0; i < s.length; i++) {
            r[i] = s[i] / (h.nodes().get(i).weight() / w);
        }
        java.util.Arrays.sort(r);
        return r;
    }

    private static String withCi(Estimate e, java.util.function.DoubleFunction<String> f) {
        if (Double.isNaN(e.mean())) {
            return "n/a";
        }
        return e.trials() < 2 ? f.apply(e.mean()) : f.apply(e.mean()) + " +-" + f.apply((e.hi() - e.lo()) / 2).trim();
    }

    static TextTable table(List<Point> points) {
        TextTable t = new TextTable(List.of("algorithm", "param", "value", "key-space peak/avg", "key-space std dev",
                "key-space min/avg", "99% of members within", "sampled peak/avg", "sampled std dev", "noise floor", "build",
                "memory"));
        for (Point p : points) {
            t.row(List.of(p.series(), p.param(), String.valueOf(p.value()), withCi(p.keySpacePeak(), Fmt::ratio),
                    withCi(p.keySpaceStdDev(), Fmt::pct), withCi(p.keySpaceMin(), Fmt::ratio),
                    Double.isNaN(p.keySpaceQ005().mean()) ? "n/a"
                            : "[" + Fmt.ratio(p.keySpaceQ005().mean()).trim() + ", " + Fmt.ratio(p.keySpaceQ995().mean()).trim() + "]",
                    withCi(p.keysPeak(), Fmt::ratio), Fmt.pct(p.keys().stdDev()),
                    Fmt.pct(p.noise()), Fmt.ms(p.buildMs()), Fmt.bytes(p.memoryBytes())));
        }
        return t;
    }
}
