package io.stickyring.dist;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code stickyring demo}: the whole system on one machine ({@link Demo}): embedded ZooKeeper, N
 * chat nodes as child JVMs, one LB, plus a console and a control endpoint to kill and restart nodes.
 * Runs until {@code quit}, Ctrl-C or SIGTERM, which stop everything (no child process is left).
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run embedded ZooKeeper, N chat nodes and one LB on this machine.",
                "With --edges/--writers (and --store, --bus): the split shape, edges behind the LB and writers behind them.",
                "Prints the web client URL; type 'help' at the demo> prompt to kill and restart nodes. See docs/demo.md."},
        footer = {"", "Control a running demo from another terminal:",
                "  stickyring demo --kill n2 [--signal KILL]",
                "  stickyring demo --start n2",
                "  stickyring demo --status",
                "or over HTTP (no ?signal = SIGTERM):",
                "  curl -X POST 'http://127.0.0.1:9091/nodes/n2/kill?signal=KILL'",
                "  curl -X POST http://127.0.0.1:9091/nodes/n2/start",
                "  curl http://127.0.0.1:9091/status"})
public final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    io.stickyring.cli.ConfigOption config = new io.stickyring.cli.ConfigOption();

    @Option(names = "--nodes", paramLabel = "N", description = "Chat nodes of role all, ids n1..nN (1..16; default 3; not with --edges/--writers).")
    Integer nodes;

    @Option(names = "--edges", paramLabel = "N", defaultValue = "0",
            description = "Split shape: N nodes of role edge, ids e1..eN, the LB's only members (1..16 with --writers; needs --store and --bus).")
    int edges;

    @Option(names = "--writers", paramLabel = "M", defaultValue = "0",
            description = "Split shape: M nodes of role writer, ids w1..wM, registered as writers only, never given clients (1..16 with --edges).")
    int writers;

    @Option(names = "--store", paramLabel = "postgresql://...",
            description = "Cluster store of every node, e.g. postgresql://postgres@127.0.0.1:5432/test?schema=demo (with --bus; default: SQLite in --data).")
    String store;

    @Option(names = "--bus", paramLabel = "nats://...",
            description = "Bus of every node, e.g. nats://127.0.0.1:4222?prefix=stickyring.demo (with --store; default: SQLite in --data).")
    String bus;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "LB port; the web client is at http://HOST:PORT/ (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "Address the LB listens on (default ${DEFAULT-VALUE}; dev login is on, so think twice before 0.0.0.0).")
    String host;

    @Option(names = "--admin-port", paramLabel = "PORT", defaultValue = "9090", description = "LB admin API port on 127.0.0.1 (default ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(names = "--control-port", paramLabel = "PORT", defaultValue = "9091",
            description = "Demo control endpoint on 127.0.0.1 (kill/start nodes over HTTP); -1 = off (default ${DEFAULT-VALUE}).")
    int controlPort;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "demo-data",
            description = "Data root: chat.db, zk/, n1/node.log, ... kept across runs (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--cluster", paramLabel = "NAME", defaultValue = "demo", description = "Cluster name in ZooKeeper (default ${DEFAULT-VALUE}).")
    String cluster;

    @Option(names = "--algorithm", paramLabel = "ring|maglev|rendezvous", defaultValue = "ring",
            description = "The LB's consistent-hash algorithm (default ${DEFAULT-VALUE}).")
    String algorithm;

    @Option(names = "--shared-store", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "All nodes share <data>/chat.db with --bus sqlite: users on different nodes talk and a failed-over "
                    + "client resumes from its cursor (default). --no-shared-store: each node its own <data>/<id>/chat.db, in-process bus.")
    boolean sharedStore;

    @Option(names = "--drain-period", paramLabel = "DURATION", defaultValue = "2s", converter = io.stickyring.cli.DurationConverter.class,
            description = "How long a node stays DRAINING after 'kill ID' before closing sessions (default ${DEFAULT-VALUE}).")
    java.time.Duration drainPeriod;

    @Option(names = "--node-jvm-opts", paramLabel = "OPTS", defaultValue = "-Xms32m -Xmx256m -XX:+UseSerialGC",
            description = "JVM options of each node process (default: ${DEFAULT-VALUE}).")
    String nodeJvmOpts;

    @Option(names = "--no-console", description = "Do not read commands from stdin (use the control endpoint); run until SIGTERM or Ctrl-C.")
    boolean noConsole;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "0..1", heading = "%nControl a demo that is already running (through --control-port):%n")
    RemoteAction remote;

    /** One action on a running demo instead of starting one. */
    static final class RemoteAction {
        @Option(names = "--kill", paramLabel = "ID", description = "Stop node ID of the running demo (SIGTERM; with --signal KILL: SIGKILL).")
        String kill;
        @Option(names = "--start", paramLabel = "ID", description = "Start node ID of the running demo again.")
        String start;
        @Option(names = "--status", description = "Print the running demo's status.")
        boolean status;
    }

    @Option(names = "--signal", paramLabel = "TERM|KILL", defaultValue = "TERM", description = "Signal for --kill (default ${DEFAULT-VALUE}).")
    String signal;

    @Override
    public Integer call() throws Exception {
        DemoCommand self = this.config.resolve(DemoCommand::new);
        if (self != this) {
            return self.call();
        }
        PrintWriter err = spec.commandLine().getErr();
        DemoConfig config;
        try {
            config = toConfig();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (remote != null) {
            return DemoRemote.run(config.controlPort(), remote.kill, remote.start, remote.status, signal,
                    spec.commandLine().getOut(), spec.commandLine().getErr());
        }
        quietLogsUnlessConfigured();
        String accessLog = "as --access-log says";
        if (!Main.accessLogConfigured()) {
            // One access line per connection would interleave with the console's prompt.
            LogSetup.accessLogTo(data.resolve("access.log"));
            accessLog = data.resolve("access.log").toAbsolutePath().normalize().toString();
        }
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        int count = config.nodeIds().size();
        out.println("demo: starting " + (config.split() ? edges + " edge" + (edges == 1 ? "" : "s") + " and " + writers + " writer" + (writers == 1 ? "" : "s")
                : count + " chat node" + (count == 1 ? "" : "s")) + ", ZooKeeper and the LB (data in "
                + data.toAbsolutePath().normalize() + ", LB access log " + accessLog + ") ...");
        Demo demo;
        try {
            demo = Demo.start(config, out);
        } catch (IllegalStateException e) {
            err.println("stickyring demo: " + e.getMessage());
            err.flush();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            out.println();
            out.println("demo: stopping ...");
            demo.close();
            stopped.countDown();
        }, "demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println(banner(demo));
        if (noConsole) {
            stopped.await();
            return 0;
        }
        PrintWriter console = new PrintWriter(out, true);
        DemoConsole.End end = new DemoConsole(demo, new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), console).run();
        if (end == DemoConsole.End.END_OF_INPUT) {
            // stdin closed (e.g. started with </dev/null): keep serving until a signal.
            out.println();
            out.println("demo: no more console input; running until Ctrl-C or SIGTERM");
            stopped.await();
            return 0;
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        hook.run();
        return 0;
    }

    /** The flags as a validated config; the split shape when --edges or --writers is given. */
    DemoConfig toConfig() {
        List<String> opts = Arrays.stream(nodeJvmOpts.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
        boolean split = edges != 0 || writers != 0;
        int roleAll = nodes != null ? nodes : split ? 0 : 3;
        return new DemoConfig(roleAll, host, port, adminPort, controlPort, data, cluster, opts, drainPeriod, algorithm, sharedStore,
                edges, writers, store, bus);
    }

    static String banner(Demo demo) {
        String web = demo.webUrl().toString();
        String admin = demo.adminUrl().toString();
        String control = demo.controlUrl() == null ? null : demo.controlUrl().toString();
        StringBuilder b = new StringBuilder();
        b.append("\n");
        b.append("  Web client:    ").append(web).append("\n");
        b.append("  LB admin:      ").append(admin).append("members   (also readyz, metrics, lookup?ip=, whatif?remove=)\n");
        if (control != null) {
            b.append("  Demo control:  ").append(control).append("status   (POST nodes/ID/kill[?signal=KILL], nodes/ID/start)\n");
        }
        if (demo.config().split()) {
            b.append("\n");
            b.append("  Split shape (PostgreSQL + NATS):\n");
            for (DemoNode.Status s : demo.nodeStatus()) {
                b.append(String.format("    %-4s %-6s %-22s metrics http://%s/metrics   %s%n", s.id(), s.role(), s.address(), s.admin(),
                        s.role() == io.stickyring.chat.cluster.NodeRole.WRITER
                                ? "writer: commits the sends of its conversations; not an LB member, never given clients"
                                : "edge: an LB member; holds clients, serves reads, forwards sends to a writer"));
            }
        }
        b.append("\n");
        b.append("  What to try:\n");
        b.append("   1. Open the web client: it is served by the node your address (127.0.0.1) maps to, see ")
                .append(admin).append("lookup?ip=127.0.0.1\n");
        b.append("   2. 'status' (or ").append(admin).append("members) shows which node holds the connections.\n");
        b.append("   3. 'kill -9 ID' of the node holding a client: the client reconnects through the LB to the next node\n");
        b.append("      of its preference order").append(demo.config().sharedStore() ? " and resumes from its cursor" : "")
                .append("; other nodes' connections are untouched. 'start ID' brings it back.\n");
        b.append("   4. 'kill ").append(demo.config().lbMemberIds().get(demo.config().lbMemberIds().size() > 1 ? 1 : 0))
                .append("' drains instead: DRAINING in /members, sessions closed with 1012, then gone.\n");
        if (demo.config().split()) {
            b.append("   5. Every send is committed by a writer: stickyring_chat_commit_batch_size_count grows on the writers'\n");
            b.append("      metrics and stays 0 on the edges'. After 'kill -9 w1' the next writer (or, with none\n");
            b.append("      left, the edges themselves) commit its conversations.\n");
        }
        b.append("  Every browser on this machine comes from 127.0.0.1, so they all land on the same node; see docs/demo.md.\n");
        if (!demo.config().sharedStore()) {
            b.append("  --no-shared-store: each node keeps its own store, so users on different nodes do not see each other\n");
            b.append("  and a failed-over user's history is back only when its node is.\n");
        }
        b.append("  Type 'help' for commands, 'quit' or Ctrl-C to stop everything.\n");
        return b.toString();
    }

    /** Without a logback file, logback logs everything at DEBUG: keep the console for the demo's own lines. */
    private static void quietLogsUnlessConfigured() {
        if (System.getProperty("logback.configurationFile") != null
                || DemoCommand.class.getClassLoader().getResource("logback.xml") != null
                || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
        // The embedded server warns about defaults the demo chose on purpose (maxCnxns 0 for many local clients).
        context.getLogger("org.apache.zookeeper").setLevel(Level.ERROR);
    }
}
