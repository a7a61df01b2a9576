package io.stickyring.dist;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.stickyring.membership.zk.EmbeddedZooKeeper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import io.stickyring.cli.StartupException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code stickyring zk}: a real standalone ZooKeeper server ({@link EmbeddedZooKeeper}, ZooKeeper's
 * own embedded server) for development and the demo. Prints {@code connect=HOST:PORT} once it
 * serves, then runs until SIGTERM or Ctrl-C, which stop it cleanly (data stays in {@code --data}).
 *
 * <p>Settings come from flags, else the optional YAML {@code --config} file (keys {@code host},
 * {@code port}, {@code data}, {@code tickTimeMs}, {@code maxClientCnxns}, {@code serverId},
 * {@code ensemble}), else the defaults. With {@code --server-id N --ensemble H:P:E:C,...} it runs
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
    private static final Set<String> CONFIG_KEYS = Set.of("host", "port", "data", "tickTimeMs", "maxClientCnxns", "serverId", "ensemble");

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML file with host, port, data, tickTimeMs, maxClientCnxns, serverId, ensemble (a list or a comma string); flags override it.")
    Path configFile;

    @Option(names = "--host", paramLabel = "HOST", description = "Address to listen on (default: 127.0.0.1).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", description = "Client port, 0 for any free port (default: 2181).")
    Integer port;

    @Option(names = "--data", paramLabel = "DIR", description = "Snapshot and transaction-log directory, created if missing (default: ./zk-data).")
    Path data;

    @Option(names = "--tick-time-ms", paramLabel = "MS", description = "ZooKeeper tick; sessions may last 2..20 ticks (default: 2000).")
    Integer tickTimeMs;

    @Option(names = "--max-client-cnxns", paramLabel = "N", description = "Connections per client IP, 0 = unlimited (default: 0).")
    Integer maxClientCnxns;

    @Option(names = "--server-id", paramLabel = "N", description = "With --ensemble: this server's id, its 1-based position in the list.")
    Integer serverId;

    @Option(names = "--ensemble", paramLabel = "H:PEER:ELECTION:CLIENT,...",
            description = "Run as one server of this ZooKeeper ensemble (server N = N-th entry); --host/--port then come from entry --server-id.")
    String ensemble;

    @Override
    public Integer call() throws Exception {
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

    /** Flags first, then the YAML file, then defaults; every bad value is named. */
    EmbeddedZooKeeper.Config resolveConfig() {
        JsonNode file = readConfigFile();
        String h = host != null ? host : text(file, "host", EmbeddedZooKeeper.Config.DEFAULT_HOST);
        int p = port != null ? port : integer(file, "port", EmbeddedZooKeeper.Config.DEFAULT_PORT);
        Path d = data != null ? data : Path.of(text(file, "data", DEFAULT_DATA.toString()));
        int tick = tickTimeMs != null ? tickTimeMs : integer(file, "tickTimeMs", (int) EmbeddedZooKeeper.Config.DEFAULT_TICK_TIME.toMillis());
        int max = maxClientCnxns != null ? maxClientCnxns : integer(file, "maxClientCnxns", 0);
        if (tick < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "tick time (" + tick + " ms) must be >= 1");
        }
        try {
            return new EmbeddedZooKeeper.Config(h, p, d, Duration.ofMillis(tick), max, EmbeddedZooKeeper.Config.DEFAULT_START_TIMEOUT);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** {@code null} for a standalone server; otherwise the validated ensemble, flags over the YAML file. */
    EmbeddedZooKeeper.Ensemble resolveEnsemble() {
        JsonNode file = readConfigFile();
        String list = ensemble;
        if (list == null && file != null && file.get("ensemble") != null && file.get("ensemble").isArray()) {
            List<String> entries = new ArrayList<>();
            file.get("ensemble").forEach(e -> entries.add(e.asText()));
            list = String.join(",", entries);
        } else if (list == null) {
            list = text(file, "ensemble", null);
        }
        Integer id = serverId != null ? serverId : (file != null && file.get("serverId") != null ? integer(file, "serverId", 0) : null);
        if (list == null && id == null) {
            return null;
        }
        if (list == null || id == null) {
            throw new CommandLine.ParameterException(spec(),
                    "--server-id and --ensemble go together (got " + (id == null ? "--ensemble only" : "--server-id " + id + " only") + ")");
        }
        if (host != null || port != null) {
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

    private JsonNode readConfigFile() {
        if (configFile == null) {
            return null;
        }
        if (!Files.isRegularFile(configFile)) {
            throw new CommandLine.ParameterException(spec.commandLine(), StartupException.unreadableConfig(configFile, new java.nio.file.NoSuchFileException(configFile.toString())));
        }
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(configFile.toFile());
        } catch (IOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), StartupException.unreadableConfig(configFile, e));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return null;
        }
        if (!root.isObject()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "config file (" + configFile + ") must be a YAML mapping");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!CONFIG_KEYS.contains(key)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "config file (" + configFile + "): unknown key '" + key
                        + "' (known: host, port, data, tickTimeMs, maxClientCnxns, serverId, ensemble)");
            }
        }
        return root;
    }

    private String text(JsonNode file, String key, String fallback) {
        JsonNode value = file == null ? null : file.get(key);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isValueNode()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "config file (" + configFile + "): " + key + " (" + value + ") must be a string");
        }
        return value.asText();
    }

    private int integer(JsonNode file, String key, int fallback) {
        JsonNode value = file == null ? null : file.get(key);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "config file (" + configFile + "): " + key + " (" + value + ") must be an integer");
        }
        return value.intValue();
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
