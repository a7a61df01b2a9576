package io.stickyring.sim;

import io.stickyring.ring.Ratio;

import io.stickyring.sim.algo.AlgorithmCatalog;
import io.stickyring.sim.algo.AlgorithmSpec;
import io.stickyring.sim.algo.ProductionCatalog;
import io.stickyring.sim.engine.Progress;
import io.stickyring.sim.engine.SimResult;
import io.stickyring.sim.engine.Simulator;
import io.stickyring.sim.report.Charts;
import io.stickyring.sim.report.Reports;
import io.stickyring.sim.scenario.Cluster;
import io.stickyring.sim.scenario.ClusterMember;
import io.stickyring.sim.scenario.Event;
import io.stickyring.sim.scenario.Scenario;
import io.stickyring.sim.whatif.AdminClient;
import io.stickyring.sim.whatif.LbView;
import io.stickyring.sim.workload.KeySet;
import io.stickyring.sim.workload.Workload;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** `sim run`: a scenario over a workload for several algorithms side by side. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a membership scenario over a client workload, several algorithms side by side.",
                "Reports keys moved (vs the ideal minimum), balance, lookup and build time, memory.",
                "",
                "Events: fail:K|fail:ID,..|fail:zone=Z  add:K[:weight=W][:zone=Z]  drain:K|drain:ID,..|drain:zone=Z",
                "        weight:ID=W,..  restart",
                "        scale:M[:step=S]  flap:ID|random[:times=T]",
                "Workloads: ipv4[:n=N]  ipv6[:n=N]  zipf[:users=U][:nats=A][:s=S]  prefix24[:n=N][:prefixes=P]",
                "           prefix64[:n=N][:prefixes=P]  file:PATH (ip[,member][,count] lines or JSON)",
                "Algorithms: ring[:vnodes=N]  maglev[:table=P]  rendezvous  jump  bounded[:base=A][:c=F]"},
        footer = {"", "Example: sim run --members 10 -a ring -a maglev -a rendezvous -a jump -w ipv4:n=1000000 \\",
                "           -e fail:1 -e add:1 -e drain:m003 -e restart -e scale:20:step=5 --charts out/"})
public final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    io.stickyring.cli.ConfigOption config = new io.stickyring.cli.ConfigOption();

    @Option(names = {"-n", "--members"}, paramLabel = "N", description = "N equal members m000..m(N-1) (default 10).")
    Integer members;

    @Option(names = "--zones", paramLabel = "Z", description = "Spread the --members N round-robin over zones z0..z(Z-1), for fail:zone=z1 / drain:zone=z1.")
    Integer zones;

    @Option(names = "--member", paramLabel = "ID[/W][:zone=Z]", split = ",", description = "Explicit members with weights and zones, e.g. --member a/2:zone=z0,b:zone=z1,c/3 (overrides --members).")
    List<String> memberSpecs;

    @Option(names = "--lb-members", paramLabel = "FILE|URL", description = {"Members and weights from an LB's GET /members (a saved JSON file, or the admin base URL):",
            "ACTIVE members join the ring, DRAINING ones start drained, DOWN ones are left out (overrides --members)."})
    String lbMembers;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token for --lb-members URL (default: $STICKYRING_ADMIN_TOKEN).")
    String token = System.getenv("STICKYRING_ADMIN_TOKEN");

    @Option(names = {"-a", "--algorithm"}, paramLabel = "SPEC", description = "Algorithm to compare (repeat; default ring, maglev, rendezvous, jump).")
    List<String> algorithms;

    @Option(names = {"-w", "--workload"}, paramLabel = "SPEC", description = "Client workload (default " + RunConfig.DEFAULT_WORKLOAD + ").")
    String workload;

    @Option(names = {"-e", "--event"}, paramLabel = "EVENT", description = "Event, in order (repeat; default fail:1, add:1).")
    List<String> events;

    @Option(names = "--seed", description = "Seed for workloads and victim choice (default 1).")
    Long seed;

    @Option(names = "--threads", description = "Threads for key assignment (default 1; results are identical for any count).")
    Integer threads;

    @Option(names = "--key-mode", paramLabel = "MODE", description = "Client key derivation as the LB's --key-mode: address (default), prefix, address-port.")
    String keyMode;

    @picocli.CommandLine.Mixin
    KeyOptions keyOptions = new KeyOptions();

    @Option(names = "--per-connection", description = {"Expand each key into one entry per connection (count), so bounded load",
            "picks per connection as the LB does; keys moved then counts connections."})
    boolean perConnection;

    @Option(names = "--trials", defaultValue = "1", paramLabel = "N", description = {"Repeat the run over N member-id sets (default ${DEFAULT-VALUE}).",
            "Trial 0 is the table above; trials 1..N-1 rename every member id with a salt from --seed (events naming",
            "members follow), then a summary gives each figure's mean and 95%% Student t interval over all N."})
    int trials;

    @Option(names = "--steps", description = "Also print one row per step (a rolling restart has two per member).")
    boolean steps;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write every event and step row as CSV.")
    Path csv;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the full result as JSON.")
    Path json;

    @Option(names = "--charts", paramLabel = "DIR", description = "Write PNG charts: moved.png, moved-vs-ideal.png, load-initial.png, load-final.png.")
    Path charts;

    @Option(names = "--progress", negatable = true, description = "Progress bar on stderr (default: when interactive).")
    Boolean progress;

    @Option(names = "--memory", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Measure each algorithm's retained memory (default on).")
    boolean memory;

    @Override
    public Integer call() throws Exception {
        RunCommand self = config.resolve(RunCommand::new);
        if (self != this) {
            return self.call();
        }
        return Cli.guard(spec, this::execute);
    }

    private Integer execute() throws Exception {
        RunConfig cfg = RunConfig.resolve(new RunConfig.Overrides(members, zones, memberSpecs, algorithms, workload,
                events, seed, threads, keyMode));
        if (lbMembers != null) {
            cfg = new RunConfig(lbMembers(lbMembers, token), cfg.algorithms(), cfg.workload(), cfg.events(), cfg.seed(),
                    cfg.threads(), cfg.keyMode());
        }
        AlgorithmCatalog catalog = new ProductionCatalog(keyOptions.clientKeys(cfg.keyMode()));
        SimResult r = simulate(cfg, catalog, progress, memory, perConnection, spec.commandLine().getErr());
        PrintWriter out = spec.commandLine().getOut();
        out.print(Reports.table(r, steps));
        if (trials < 1) {
            throw new IllegalArgumentException("trials (" + trials + ") must be >= 1");
        }
        List<SimResult> all = new java.util.ArrayList<>(List.of(r));
        java.util.SplittableRandom salts = new java.util.SplittableRandom(cfg.seed());
        for (int t = 1; t < trials; t++) {
            all.add(simulate(renamed(cfg, Long.toHexString(salts.nextLong())), catalog, false, false, perConnection,
                    spec.commandLine().getErr()));
        }
        if (trials > 1) {
            out.print(trialSummary(all));
        }
        for (String algo : cfg.algorithms()) {
            AlgorithmSpec a = catalog.parse(algo);
            if (a.name().equals("bounded")) {
                out.print(boundedCheck(r, a.label(), Ratio.parse(a.params().getOrDefault("c", "1.25")), perConnection));
            }
        }
        out.flush();
        if (csv != null) {
            Reports.write(Reports.csv(r), csv);
            out.println("wrote " + csv);
        }
        if (json != null) {
            Reports.writeJson(r, json);
            out.println("wrote " + json);
        }
        if (charts != null) {
            Charts.png(Charts.moved(r), charts.resolve("moved.png"), 1000, 600);
            Charts.png(Charts.excess(r), charts.resolve("moved-vs-ideal.png"), 1000, 600);
            Charts.png(Charts.load(r, 0), charts.resolve("load-initial.png"), 1000, 500);
            Charts.png(Charts.load(r, r.eventTexts().size()), charts.resolve("load-final.png"), 1000, 500);
            out.println("wrote " + charts.resolve("moved.png") + ", moved-vs-ideal.png, load-initial.png, load-final.png");
        }
        out.flush();
        return 0;
    }

    /**
     * For a bounded-loads algorithm, after every event: the member closest to (or over) its cap
     * {@code ceil(c * T * w / W)} (T = all connections placed; each pick saw a total below T, and
     * capacity only grows with the total, so no member placed connection by connection can exceed
     * it). Without --per-connection a key's connections go together and can overshoot.
     */
    static String boundedCheck(SimResult r, String label, Ratio c, boolean perConnection) {
        StringBuilder sb = new StringBuilder();
        for (io.stickyring.sim.engine.LoadSnapshot s : r.loads()) {
            if (!s.algorithm().equals(label)) {
                continue;
            }
            long total = java.util.Arrays.stream(s.loads()).sum();
            long wsum = java.util.Arrays.stream(s.weights()).asLongStream().sum();
            int worst = -1;
            double worstRatio = -1;
            long worstCap = 0;
            for (int i = 0; i < s.members().size(); i++) {
                java.math.BigInteger num = java.math.BigInteger.valueOf(c.numerator()).multiply(java.math.BigInteger.valueOf(total))
                        .multiply(java.math.BigInteger.valueOf(s.weights()[i]));
                java.math.BigInteger den = java.math.BigInteger.valueOf(c.denominator()).multiply(java.math.BigInteger.valueOf(wsum));
                java.math.BigInteger[] qr = num.divideAndRemainder(den);
                long cap = qr[0].longValueExact() + (qr[1].signum() == 0 ? 0 : 1);
                double ratio = cap == 0 ? 0 : (double) s.loads()[i] / cap;
                if (ratio > worstRatio) {
                    worstRatio = ratio;
                    worst = i;
                    worstCap = cap;
                }
            }
            if (worst >= 0) {
                sb.append(String.format(java.util.Locale.ROOT,
                        "bounded %s #%d %s: c=%s, worst member %s holds %d of its cap ceil(c*%d*%d/%d) = %d (%.1f%%)%s%n",
                        label, s.event(), s.eventText(), c, s.members().get(worst), s.loads()[worst], total,
                        s.weights()[worst], wsum, worstCap, 100 * worstRatio,
                        worstRatio > 1 ? (perConnection ? "  OVER THE CAP" : "  (over: keys placed whole; use --per-connection)") : ""));
            }
        }
        return sb.toString();
    }

    /**
     * The same configuration with every member id renamed {@code id.SALT} (so ring, Maglev,
     * multi-probe and DxHash place them afresh) and every event naming a member following it.
     */
    static RunConfig renamed(RunConfig cfg, String salt) {
        List<ClusterMember> members = cfg.members().stream()
                .map(m -> new ClusterMember(m.id() + "." + salt, m.weight(), m.draining(), m.zone())).toList();
        List<String> events = new java.util.ArrayList<>();
        for (String e : cfg.events()) {
            String x = e;
            for (ClusterMember m : cfg.members()) {
                x = x.replaceAll("(?<=[:,])" + java.util.regex.Pattern.quote(m.id()) + "(?=$|[,:=])",
                        java.util.regex.Matcher.quoteReplacement(m.id() + "." + salt));
            }
            events.add(x);
        }
        return new RunConfig(members, cfg.algorithms(), cfg.workload(), events, cfg.seed(), cfg.threads(), cfg.keyMode());
    }

    /** Mean and 95% t-interval over the trials of each event's main figures. */
    static String trialSummary(List<SimResult> all) {
        io.stickyring.sim.report.TextTable t = new io.stickyring.sim.report.TextTable(List.of("algorithm", "#", "event",
                "keys moved", "x ideal", "conns moved", "peak/avg", "min/avg", "std dev"));
        SimResult first = all.get(0);
        for (int i = 0; i < first.events().size(); i++) {
            io.stickyring.sim.engine.EventResult e0 = first.events().get(i);
            int k = i;
            java.util.function.Function<java.util.function.ToDoubleFunction<io.stickyring.sim.engine.EventResult>, String> ci = f -> {
                double[] v = all.stream().mapToDouble(x -> f.applyAsDouble(x.events().get(k))).toArray();
                if (java.util.Arrays.stream(v).anyMatch(Double::isNaN)) {
                    return "-";
                }
                io.stickyring.sim.paper.Estimate est = io.stickyring.sim.paper.Estimate.of(v);
                return String.format(java.util.Locale.ROOT, "%.4f [%.4f, %.4f]", est.mean(), est.lo(), est.hi());
            };
            boolean init = e0.event() == 0;
            t.row(List.of(e0.algorithm(), String.valueOf(e0.event()), e0.eventText(),
                    init ? "-" : ci.apply(io.stickyring.sim.engine.EventResult::movedKeys),
                    init ? "-" : ci.apply(io.stickyring.sim.engine.EventResult::excess),
                    init ? "-" : ci.apply(io.stickyring.sim.engine.EventResult::movedConns),
                    ci.apply(x -> x.load().peakToAverage()), ci.apply(x -> x.load().minToAverage()),
                    ci.apply(x -> x.load().stdDev())));
        }
        return "\n" + all.size() + " trials (fresh member ids per trial from --seed): mean [95% Student t interval]\n"
                + t.render();
    }

    /** ACTIVE and DRAINING members of an LB's /members document (file or admin URL). */
    static List<ClusterMember> lbMembers(String source, String token) throws Exception {
        LbView view;
        if (source.startsWith("http://") || source.startsWith("https://")) {
            AdminClient c = new AdminClient(source, token, java.time.Duration.ofSeconds(5));
            view = LbView.parse(c.get("/members", true), c.base() + "/members");
        } else {
            view = LbView.parse(java.nio.file.Files.readString(Path.of(source)), source);
        }
        List<ClusterMember> out = new java.util.ArrayList<>();
        for (LbView.Member m : view.members()) {
            if (m.state().equals("ACTIVE") || m.state().equals("DRAINING")) {
                out.add(new ClusterMember(m.id(), m.weight(), m.state().equals("DRAINING"), m.zone()));
            }
        }
        if (out.stream().noneMatch(m -> !m.draining())) {
            throw new IllegalArgumentException(source + ": no ACTIVE member (view version " + view.version() + ")");
        }
        return out;
    }

    /** Validates everything (algorithms, workload, events) before the first key is generated. */
    static SimResult simulate(RunConfig cfg, AlgorithmCatalog catalog, Boolean progressFlag, boolean memory,
                              boolean perConnection, PrintWriter err) {
        List<AlgorithmSpec> algos = cfg.algorithms().stream().map(catalog::parse).toList();
        Workload wl = Workload.parse(cfg.workload());
        Scenario scenario = new Scenario(Cluster.of(cfg.members()), cfg.events().stream().map(Event::parse).toList(),
                cfg.seed());
        List<Scenario.Expanded> expanded = scenario.expand();
        KeySet keys = wl.generate(catalog.clientKeys(), cfg.seed());
        if (perConnection) {
            keys = keys.perConnection();
        }
        long units = Simulator.workUnits(keys, algos, expanded);
        boolean show = progressFlag != null ? progressFlag : System.console() != null && units > 5_000_000L;
        Progress p = show ? new Progress(new java.io.PrintStream(new WriterStream(err), true), units, "sim") : Progress.NONE;
        SimResult r = new Simulator(cfg.threads(), memory).run(keys, algos, scenario, p);
        p.done();
        return r;
    }

    /** Lets the progress bar write to picocli's err writer (so tests can capture it). */
    static final class WriterStream extends java.io.OutputStream {
        private final PrintWriter w;

        WriterStream(PrintWriter w) {
            this.w = w;
        }

        @Override
        public void write(int b) {
            w.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            w.write(new String(b, off, len, java.nio.charset.StandardCharsets.UTF_8));
        }

        @Override
        public void flush() {
            w.flush();
        }
    }
}
