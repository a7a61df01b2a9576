package io.stickyring.dist;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.stickyring.cli.ConfigOption;
import io.stickyring.cli.DurationConverter;
import io.stickyring.membership.zk.EmbeddedZooKeeper;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code stickyring zk}: a real standalone ZooKeeper server ({@link EmbeddedZooKeeper}, ZooKeeper's
 * own embedded server) for development and the demo. Prints {@code connect=HOST:PORT} once it
 * serves, then runs until SIGTERM or Ctrl-C, which stop it cleanly (data stays in {@code --data}).
 *
 * <p>Settings come from flags, else the optional YAML {@code --config} file (keys are the flag names
 * without dashes: {@code host}, {@code port}, {@code data}, {@code tick-time},
 * {@code max-client-cnxns}, {@code server-id}, {@code ensemble} as a list), else the defaults. With {@code --server-id N --ensemble H:P:E:C,...} it runs
 * server N of a ZooKeeper ensemble instead (host and client port from its entry) and also prints
 * {@code ensemble=CONNECT} (the connect string of every server).
 */
@Command(name = "zk", mixinStandardHelpOptions = true,
        description = {"Run a standalone embedded ZooKeeper server for development.",
                "Prints connect=HOST:PORT when it serves; SIGTERM or Ctrl-C stops it cleanly."},
        footer = {"", "Example: stickyring zk --port 2181 --data ./zk-data",
                "Ensemble (on each of three hosts, N = 1, 2, 3; see docs/cluster-recipe.md):",
                "         stickyring zk --server-id N --data ./zk-data --ensemble \\",
                "             zk1:2888:3888:2181,zk2:2888:3888:2181,zk3:2888:3888:2181",
                "Then:    stickyring lb --zk 127.0.0.1:2181 ...   stickyring node --zk 127.0.0.1:2181 ..."})
public final class ZkCommand implements Callable<Integer> {

    static final Path DEFAULT_DATA = Path.of("zk-data");

    @Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ConfigOption config = new ConfigOption();

    @Option(names = "--host", paramLabel = "HOST", description = "Address to listen on (default: 127.0.0.1).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", description = "Client port, 0 for any free port (default: 2181).")
    Integer port;

    @Option(names = "--data", paramLabel = "DIR", description = "Snapshot and transaction-log directory, created if missing (default: ./zk-data).")
    Path data;

    @Option(names = "--tick-time", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "ZooKeeper tick, sessions may last 2..20 ticks (default: 2s).")
    Duration tickTime;

    /** The old spelling, kept only to refuse it with the new one's name. */
    @Option(names = "--tick-time-ms", hidden = true)
    String oldTickTimeMs;

    @Option(names = "--max-client-cnxns", paramLabel = "N", description = "Connections per client IP, 0 = unlimited (default: 0).")
    Integer maxClientCnxns;

    @Option(names = "--server-id", paramLabel = "N", description = "With --ensemble: this server's id, its 1-based position in the list.")
    Integer serverId;

    @Option(names = "--ensemble", paramLabel = "H:PEER:ELECTION:CLIENT", split = ",",
            description = "Run as one server of this ZooKeeper ensemble (server N = N-th entry; comma-separated or repeated); --host/--port then come from entry --server-id.")
    List<String> ensemble;

    @Override
    public Integer call() throws Exception {
        ZkCommand self = this.config.resolve(ZkCommand::new);
        if (self != this) {
            return self.call();
        }
        EmbeddedZooKeeper.Config config = resolveConfig();
        EmbeddedZooKeeper.Ensemble quorum = resolveEnsemble();
        quietZooKeeperLogsUnlessConfigured();
        PrintWriter out = spec.commandLine().getOut();
        EmbeddedZooKeeper zk;
        try {
            zk = EmbeddedZooKeeper.start(config, quorum);
        } catch (IllegalStateException | IllegalArgumentException e) {
            spec.commandLine().getErr().println("stickyring zk: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            zk.close();
            out.println("zk: stopped; data kept in " + config.dataDir().toAbsolutePath());
            out.flush();
            stopped.countDown();
        }, "stickyring-zk-shutdown"));
        out.println("connect=" + zk.connectString());
        if (quorum != null) {
            out.println("ensemble=" + quorum.connectString());
            out.println("zk: server " + quorum.serverId() + " of " + quorum.servers().size() + " (" + quorum.self()
                    + "); it serves clients while a majority of the ensemble runs");
        }
        out.println("zk: ZooKeeper serving at " + zk.connectString() + " with data in " + config.dataDir().toAbsolutePath()
                + "; SIGTERM or Ctrl-C stops it");
        out.flush();
        stopped.await();
        return 0;
    }

    /** Flags first, then the --config file, then defaults; every bad value is named. */
    EmbeddedZooKeeper.Config resolveConfig() {
        ZkCommand c = config.resolve(ZkCommand::new);
        String h = c.host != null ? c.host : EmbeddedZooKeeper.Config.DEFAULT_HOST;
        int p = c.port != null ? c.port : EmbeddedZooKeeper.Config.DEFAULT_PORT;
        Path d = c.data != null ? c.data : DEFAULT_DATA;
        if (c.oldTickTimeMs != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--tick-time-ms (" + c.oldTickTimeMs
                    + ") was replaced by --tick-time DURATION, e.g. --tick-time " + c.oldTickTimeMs + "ms (key tick-time in --config)");
        }
        Duration tick = c.tickTime != null ? c.tickTime : EmbeddedZooKeeper.Config.DEFAULT_TICK_TIME;
        int max = c.maxClientCnxns != null ? c.maxClientCnxns : 0;
        try {
            return new EmbeddedZooKeeper.Config(h, p, d, tick, max, EmbeddedZooKeeper.Config.DEFAULT_START_TIMEOUT);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** {@code null} for a standalone server; otherwise the validated ensemble, flags over the --config file. */
    EmbeddedZooKeeper.Ensemble resolveEnsemble() {
        ZkCommand c = config.resolve(ZkCommand::new);
        String list = c.ensemble == null || c.ensemble.isEmpty() ? null : String.join(",", c.ensemble);
        Integer id = c.serverId;
        if (list == null && id == null) {
            return null;
        }
        if (list == null || id == null) {
            throw new CommandLine.ParameterException(spec(),
                    "--server-id and --ensemble go together (got " + (id == null ? "--ensemble only" : "--server-id " + id + " only") + ")");
        }
        if (c.host != null || c.port != null) {
            throw new CommandLine.ParameterException(spec(), "--host/--port cannot be combined with --ensemble: the host and client port come from entry "
                    + id + " of the ensemble list");
        }
        try {
            return EmbeddedZooKeeper.Ensemble.parse(id, list);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec(), e.getMessage());
        }
    }

    private CommandLine spec() {
        return spec.commandLine();
    }

    /** Without a logback config file, logback logs everything at DEBUG; keep ZooKeeper's chatter to warnings. */
    private static void quietZooKeeperLogsUnlessConfigured() {
        if (System.getProperty("logback.configurationFile") != null
                || ZkCommand.class.getClassLoader().getResource("logback.xml") != null
                || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.INFO);
        context.getLogger("org.apache.zookeeper").setLevel(Level.WARN);
    }
}
