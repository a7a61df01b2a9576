package io.stickyring.sim;

import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.Node;
import io.stickyring.sim.algo.AlgorithmSpec;
import io.stickyring.sim.algo.ProductionCatalog;
import io.stickyring.sim.engine.Balance;
import io.stickyring.sim.engine.LoadStats;
import io.stickyring.sim.engine.MemoryEstimate;
import io.stickyring.sim.engine.Progress;
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

    @Option(names = "--config", paramLabel = "FILE", description = "YAML file: keys are the long option names without dashes; flags override it.")
    Path config;

    @Option(names = {"-n", "--members"}, defaultValue = "10", description = "Equal members (default ${DEFAULT-VALUE}).")
    int members;

    @Option(names = {"-s", "--series"}, paramLabel = "ALG:PARAM=V1,V2,..", description = "Algorithm and swept parameter (repeat).")
    List<String> series;

    @Option(names = {"-w", "--workload"}, defaultValue = "ipv4:n=1000000", description = "Keys for the sampled columns (default ${DEFAULT-VALUE}).")
    String workload;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write the table as CSV.")
    Path csv;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the table as JSON.")
    Path json;

    @Option(names = "--charts", paramLabel = "DIR", description = "Write balance-peak.png and balance-stddev.png.")
    Path charts;

    @Option(names = "--progress", negatable = true, description = "Progress bar on stderr (default: when interactive).")
    Boolean progress;

    /** One measured point of a series. */
    public record Point(String series, String param, long value, LoadStats keySpace, LoadStats keys, double noise,
                        double buildMs, long memoryBytes) {
    }

    @Override
    public Integer call() throws Exception {
        if (config != null) {
            return Cli.guard(spec, () -> YamlArgs.rerun(spec, new SweepCommand(), config));
        }
        return Cli.guard(spec, this::execute);
    }

    private Integer execute() throws Exception {
        if (series == null || series.isEmpty()) {
            throw new IllegalArgumentException("give at least one --series ALG:PARAM=V1,V2,... (e.g. ring:vnodes=10,100,1000)");
        }
        ProductionCatalog catalog = new ProductionCatalog();
        List<Node> nodes = Cluster.uniform(members).ringNodes();
        KeySet keys = Workload.parse(workload).generate(catalog.clientKeys(), seed);
        boolean show = progress != null ? progress : System.console() != null;
        long values = series.stream().mapToLong(x -> x.split(",").length).sum();
        Progress bar = show ? new Progress(new java.io.PrintStream(new RunCommand.WriterStream(spec.commandLine().getErr()), true),
                values, "sweep") : Progress.NONE;
        List<Point> points = run(catalog, series, nodes, keys, bar);
        bar.done();
        PrintWriter out = spec.commandLine().getOut();
        out.println(members + " equal members; sampled columns over " + keys.description());
        out.print(table(points).render());
        out.flush();
        if (csv != null) {
            StringBuilder sb = new StringBuilder("series,param,value,keyspace_peak_to_avg,keyspace_std_dev,keys_peak_to_avg,"
                    + "keys_std_dev,sampling_noise,build_ms,memory_bytes\n");
            for (Point p : points) {
                sb.append(String.join(",", p.series(), p.param(), String.valueOf(p.value()),
                        Fmt.num(p.keySpace().peakToAverage()), Fmt.num(p.keySpace().stdDev()),
                        Fmt.num(p.keys().peakToAverage()), Fmt.num(p.keys().stdDev()), Fmt.num(p.noise()),
                        Fmt.num(p.buildMs()), String.valueOf(p.memoryBytes()))).append('\n');
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

    static List<Point> run(ProductionCatalog catalog, List<String> series, List<Node> nodes, KeySet keys, Progress progress) {
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
                long t0 = System.nanoTime();
                ConsistentHash h = a.build(nodes);
                double buildMs = (System.nanoTime() - t0) / 1e6;
                points.add(new Point(alg, param, value, Balance.ofShares(h), Balance.ofKeys(h, keys.keys(), keys.counts()),
                        Balance.samplingNoise(nodes, keys.totalConnections()), buildMs, MemoryEstimate.bytes(h)));
                progress.advance(1);
            }
        }
        return points;
    }

    static TextTable table(List<Point> points) {
        TextTable t = new TextTable(List.of("algorithm", "param", "value", "key-space peak/avg", "key-space std dev",
                "sampled peak/avg", "sampled std dev", "noise floor", "build", "memory"));
        for (Point p : points) {
            t.row(List.of(p.series(), p.param(), String.valueOf(p.value()), Fmt.ratio(p.keySpace().peakToAverage()),
                    Fmt.pct(p.keySpace().stdDev()), Fmt.ratio(p.keys().peakToAverage()), Fmt.pct(p.keys().stdDev()),
                    Fmt.pct(p.noise()), Fmt.ms(p.buildMs()), Fmt.bytes(p.memoryBytes())));
        }
        return t;
    }
}
