package io.stickyring.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stickyring.chat.bus.NatsConfig;
import io.stickyring.chat.cluster.NodeRole;
import io.stickyring.chat.store.PostgresConfig;
import io.stickyring.lb.LoadBalancer;
import io.stickyring.cli.HostPort;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.config.ProxyProtocolMode;
import io.stickyring.lb.route.HashFactories;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.source.Membership;
import io.stickyring.membership.zk.EmbeddedZooKeeper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The running demo: an embedded ZooKeeper, one load balancer in this JVM (ZooKeeper membership,
 * PROXY v2 to the nodes) and N chat nodes as child JVMs of the same classpath, each with its own
 * directory {@code <data>/<id>/} (log; its SQLite file too with {@code --no-shared-store}, otherwise
 * they share {@code <data>/chat.db}). With {@link DemoConfig#store()} every node uses that
 * PostgreSQL store and NATS bus instead; in the split shape the nodes are writers ({@code --role
 * writer}, started first) and edges ({@code --role edge}), and only the edges are LB members. Built
 * by {@link #start}, which prints one progress line per component and returns once the LB is ready
 * and lists every node it should ({@link DemoConfig#lbMemberIds()}).
 *
 * <p>Invariants: every child process is started through {@link ChildMain}, so it exits when this
 * JVM is gone; {@link #close()} is idempotent, stops in reverse order of start (control endpoint,
 * LB, nodes in parallel, ZooKeeper) and returns only when no child process is left.
 */
public final class Demo implements DemoControl, AutoCloseable {

    static final Duration NODE_START_TIMEOUT = Duration.ofSeconds(90);
    static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DemoConfig config;
    private final PrintStream progress;
    private final Path data;
    private final Map<String, DemoNode> nodes = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AtomicBoolean closed = new AtomicBoolean();
    private String secret;
    private EmbeddedZooKeeper zk;
    private LoadBalancer lb;
    private DemoControlServer control;
    private FileChannel lockChannel;

    private Demo(DemoConfig config, PrintStream progress) {
        this.config = config;
        this.progress = progress;
        this.data = config.dataDir().toAbsolutePath().normalize();
        for (String id : config.nodeIds()) {
            nodes.put(id, new DemoNode(id, config.role(id), data.resolve(id)));
        }
    }

    /**
     * Starts everything and waits until the LB is ready with every node in its view.
     *
     * @throws IllegalStateException naming the component (and port or log file) that failed; what
     *                               was already started is stopped again
     */
    public static Demo start(DemoConfig config, PrintStream progress) {
        Demo demo = new Demo(config, progress);
        try {
            demo.doStart();
            return demo;
        } catch (RuntimeException | Error e) {
            demo.close();
            throw e;
        } catch (Exception e) {
            demo.close();
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private void doStart() throws Exception {
        probeFree("port", config.host(), config.port());
        probeFree("admin-port", "127.0.0.1", config.adminPort());
        if (config.controlPort() > 0) {
            probeFree("control-port", "127.0.0.1", config.controlPort());
        }
        Files.createDirectories(data);
        lockDataDir();
        secret = loadOrCreateSecret(data.resolve("secret"));

        zk = EmbeddedZooKeeper.start(EmbeddedZooKeeper.Config.of(data.resolve("zk")).withPort(0));
        say("zookeeper", "serving at " + zk.connectString() + " (data " + data.resolve("zk") + ")");

        LbConfig.Builder b = LbConfig.builder();
        b.listen = new HostPort(config.host(), config.port());
        b.admin = new HostPort("127.0.0.1", config.adminPort());
        b.zk = zk.connectString();
        b.cluster = config.cluster();
        b.proxyProtocol = ProxyProtocolMode.V2;
        b.algorithm = config.algorithm();
        b.connectTimeout = Duration.ofSeconds(1);
        b.shutdownGrace = Duration.ZERO;
        // Default LB behaviour (a member leaving the view has its connections closed at once): a
        // stopping node closes its sessions with 1012 before it leaves, so clients still get the frame.
        b.ioThreads = 2;
        b.acceptThreads = 1;
        LbConfig lbConfig = b.build();
        lb = LoadBalancer.start(lbConfig, Membership.of(lbConfig), HashFactories.defaults(),
                KeyFunctions.of(lbConfig.keyMode(), lbConfig.prefixV4(), lbConfig.prefixV6()));
        say("lb", "proxy on " + hostPort(lb.proxyAddress()) + ", admin on " + adminUrl() + " (" + config.algorithm() + " hashing, ZooKeeper membership, PROXY v2 to nodes)");
        say("store", storeLine());
        if (config.split()) {
            say("shape", "split: edges " + String.join(", ", config.lbMemberIds()) + " (role edge: the LB's members; clients, reads, sends forwarded), writers "
                    + String.join(", ", writerIds()) + " (role writer: sequencing and commits; registered under /stickyring/"
                    + config.cluster() + "-writers, never given clients)");
        }

        // Writers first (as deploy/local-cluster.sh): edges that find no writer commit sends themselves.
        startInParallel(nodes.values().stream().filter(n -> n.role() == NodeRole.WRITER).toList());
        startInParallel(nodes.values().stream().filter(n -> n.role() != NodeRole.WRITER).toList());
        awaitLbSees(Set.copyOf(config.lbMemberIds()), READY_TIMEOUT);
        say("ready", "LB /readyz is ready and /members lists " + String.join(", ", config.lbMemberIds())
                + (config.split() ? " (the edges; " + (writerIds().size() == 1 ? "writer " + writerIds().get(0) + " is not an LB member)"
                : "writers " + String.join(", ", writerIds()) + " are not LB members)") : ""));

        if (config.controlPort() >= 0) {
            control = DemoControlServer.start(this, config.controlPort());
            say("control", "demo control endpoint on " + controlUrl());
        }
    }

    /** Boots the node JVMs side by side: each takes a few seconds of mostly class loading. */
    private void startInParallel(List<DemoNode> batch) throws Exception {
        if (batch.isEmpty()) {
            return;
        }
        ExecutorService boot = Executors.newFixedThreadPool(batch.size());
        try {
            List<Future<?>> started = new ArrayList<>();
            for (DemoNode n : batch) {
                started.add(boot.submit(() -> {
                    startNode(n);
                    return null;
                }));
            }
            for (Future<?> f : started) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof Exception ex ? ex : new IllegalStateException(e.getCause());
                }
            }
        } finally {
            boot.shutdownNow();
        }
    }

    private String storeLine() {
        if (config.store() != null) {
            PostgresConfig pg = PostgresConfig.parse(config.store(), 1);
            NatsConfig nats = NatsConfig.parse(config.bus());
            return "PostgreSQL " + pg.jdbcUrl() + " schema " + pg.schema() + " shared by every node; NATS " + String.join(",", nats.servers())
                    + " subject prefix " + nats.prefix();
        }
        return config.sharedStore() ? "one SQLite file shared by every node: " + data.resolve("chat.db") + " (--bus sqlite)"
                : "one SQLite file per node: " + data.resolve("<id>/chat.db") + " (in-process bus)";
    }

    private List<String> writerIds() {
        return config.nodeIds().stream().filter(id -> config.role(id) == NodeRole.WRITER).toList();
    }

    private void startNode(DemoNode n) throws IOException {
        InetSocketAddress a = n.start(nodeCommand(n), Map.of("STICKYRING_SECRET", secret), NODE_START_TIMEOUT);
        DemoNode.Status s = n.status();
        say("node " + n.id(), "pid " + s.pid() + " serving on " + hostPort(a)
                + (config.split() ? " as " + n.role() + ", metrics on http://" + s.admin() + "/metrics" : "")
                + " (data " + n.dir() + ", log " + n.dir().resolve("node.log") + ")");
    }

    /** {@code java <opts> -cp <our classpath> io.stickyring.dist.ChildMain --parent-pid <us> node ...}. */
    List<String> nodeCommand(DemoNode n) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(config.nodeJvmOptions());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ChildMain.class.getName());
        cmd.add("--parent-pid");
        cmd.add(Long.toString(ProcessHandle.current().pid()));
        cmd.addAll(List.of("node", "--id", n.id(), "--listen", "127.0.0.1:0",
                "--zk", zk.connectString(), "--cluster", config.cluster(),
                "--accept-proxy-protocol", "--drain-period", io.stickyring.cli.Durations.format(config.drainPeriod()),
                // The demo is a development setup on loopback: anyone may log in as anyone (docs/security.md).
                "--dev-login"));
        if (n.role() != NodeRole.ALL) {
            cmd.addAll(List.of("--role", n.role().toString()));
        }
        if (config.store() != null) {
            // The cluster store and bus (docs/cluster.md): the same URLs for every node, whatever its role.
            cmd.addAll(List.of("--store", config.store(), "--bus", config.bus()));
        } else if (config.sharedStore()) {
            // One file for all: SQLite serializes the node processes' writers; the sqlite bus tails it
            // so a message committed on one node reaches sessions on the others.
            cmd.addAll(List.of("--store", "sqlite:" + data.resolve("chat.db"), "--bus", "sqlite"));
        } else {
            cmd.addAll(List.of("--store", "sqlite:" + n.dir().resolve("chat.db"), "--bus", "local"));
        }
        return cmd;
    }

    /** Polls the LB admin API until /readyz is 200 and /members lists exactly {@code ids} as ACTIVE. */
    void awaitLbSees(Set<String> ids, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> ready = get("/readyz");
                Map<String, JsonNode> members = lbMembers();
                last = "/readyz " + ready.statusCode() + ", /members " + members.values();
                if (ready.statusCode() == 200
                        && ids.stream().allMatch(id -> members.containsKey(id) && "ACTIVE".equals(members.get(id).path("state").asText()))) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(100); // polling another component's HTTP API
        }
        throw new IllegalStateException("LB not ready with " + ids + " within " + timeout.toSeconds() + " s: " + last);
    }

    /** Member id -> its entry in the LB's /members (state ACTIVE, DRAINING or DOWN; live connections; share). */
    Map<String, JsonNode> lbMembers() throws IOException, InterruptedException {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode m : JSON.readTree(get("/members").body()).path("members")) {
            out.put(m.path("id").asText(), m);
        }
        return out;
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(adminUrl() + path.substring(1))).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public String kill(String id, boolean force) {
        DemoNode n = node(id);
        long pid = n.status().pid();
        int status = n.kill(force, config.drainPeriod().plusSeconds(15));
        return force
                ? "killed " + id + " (pid " + pid + ") with SIGKILL, exit status " + status
                        + "; its clients reconnect through the LB to the next node in their preference order"
                : "stopped " + id + " (pid " + pid + ") with SIGTERM after draining, exit status " + status;
    }

    @Override
    public String start(String id) {
        DemoNode n = node(id);
        try {
            startNode(n);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start node " + id + ": " + e.getMessage(), e);
        }
        return "started " + id + " on " + n.status().address();
    }

    @Override
    public List<String> statusLines() {
        Map<String, JsonNode> lbView;
        try {
            lbView = lbMembers();
        } catch (IOException e) {
            lbView = Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            lbView = Map.of();
        }
        List<String> lines = new ArrayList<>();
        for (DemoNode n : nodes.values()) {
            DemoNode.Status s = n.status();
            String proc = s.running() ? "running  pid " + s.pid() + " on " + s.address()
                    : "stopped" + (s.lastExitCode() == null ? "" : " (exit " + s.lastExitCode() + ")");
            JsonNode m = lbView.get(n.id());
            String seen = m == null ? (n.role() == NodeRole.WRITER ? "not a member (writer)" : "not in view")
                    : m.path("state").asText() + ", " + m.path("connections").asInt() + " connections, "
                    + String.format("%.0f%%", 100 * m.path("share").asDouble()) + " of keys";
            lines.add(config.split() ? String.format("%-4s %-6s %-44s LB: %s", n.id(), n.role(), proc, seen)
                    : String.format("%-4s %-44s LB: %s", n.id(), proc, seen));
        }
        return lines;
    }

    /** Status of every node (for the control endpoint and tests). */
    public List<DemoNode.Status> nodeStatus() {
        return nodes.values().stream().map(DemoNode::status).toList();
    }

    /** Every child process this demo has running now. */
    public List<ProcessHandle> childProcesses() {
        return nodes.values().stream().map(DemoNode::handle).flatMap(Optional::stream).filter(ProcessHandle::isAlive).toList();
    }

    private DemoNode node(String id) {
        DemoNode n = nodes.get(id);
        if (n == null) {
            throw new IllegalArgumentException("no node '" + id + "' (nodes: " + String.join(", ", nodes.keySet()) + ")");
        }
        return n;
    }

    public InetSocketAddress proxyAddress() {
        return lb.proxyAddress();
    }

    /** The web client, served by the chat nodes through the LB. */
    public URI webUrl() {
        InetSocketAddress a = lb.proxyAddress();
        if (a.getAddress() != null && a.getAddress().isAnyLocalAddress()) {
            // Bound to every address (--host 0.0.0.0): a browser on this machine still uses loopback.
            a = new InetSocketAddress(InetAddress.getLoopbackAddress(), a.getPort());
        }
        return URI.create("http://" + hostPort(a) + "/");
    }

    public URI adminUrl() {
        return URI.create("http://" + hostPort(lb.adminAddress()) + "/");
    }

    public URI controlUrl() {
        return control == null ? null : control.url();
    }

    public String zkConnect() {
        return zk.connectString();
    }

    public DemoConfig config() {
        return config;
    }

    private static String hostPort(InetSocketAddress a) {
        String h = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    private void say(String component, String what) {
        synchronized (progress) {
            progress.printf("demo: %-10s %s%n", component, what);
            progress.flush();
        }
    }

    /**
     * Two demos on one data directory would share ZooKeeper files and SQLite stores: the second is
     * refused, naming the first one's pid. The OS releases the lock when this JVM dies, however it dies.
     */
    private void lockDataDir() throws IOException {
        Path file = data.resolve("demo.lock");
        lockChannel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            String holder = Files.readString(file, StandardCharsets.UTF_8).trim();
            lockChannel.close();
            lockChannel = null;
            throw new IllegalStateException("data directory " + data + " is in use by another running demo"
                    + (holder.isEmpty() ? "" : " (pid " + holder + ")") + "; stop it, or pass --data with another directory");
        }
        lockChannel.truncate(0);
        lockChannel.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)));
        lockChannel.force(true);
    }

    /** Fails fast, naming the flag, when a fixed port is taken (before anything else starts). */
    private static void probeFree(String flag, String host, int port) {
        if (port == 0) {
            return;
        }
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (IOException e) {
            throw new IllegalStateException(flag + " (" + port + ") on " + host + " is not free (" + e.getMessage()
                    + "); pass --" + flag + " with another port, or 0 for any free port");
        }
    }

    /**
     * One token secret for every node, kept in the data directory: a token issued by one node is
     * valid on the node a client fails over to, and across demo restarts.
     */
    private static String loadOrCreateSecret(Path file) throws IOException {
        if (Files.isRegularFile(file)) {
            String s = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (s.length() >= 32) {
                return s;
            }
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String s = HexFormat.of().formatHex(random);
        Files.writeString(file, s + "\n", StandardCharsets.UTF_8);
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the file keeps the default permissions
        }
        return s;
    }

    /** Stops everything in reverse order of start; safe to call more than once and from a shutdown hook. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (control != null) {
            control.close();
        }
        if (lb != null) {
            lb.close();
            say("lb", "stopped");
        }
        List<DemoNode> running = nodes.values().stream().filter(n -> n.handle().map(ProcessHandle::isAlive).orElse(false)).toList();
        for (DemoNode n : nodes.values()) {
            n.terminateAsync();
        }
        for (DemoNode n : nodes.values()) {
            try {
                n.awaitOrKill(config.drainPeriod().plusSeconds(15));
                if (running.contains(n)) {
                    say("node " + n.id(), "stopped");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                n.handle().ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        if (zk != null) {
            zk.close();
            say("zookeeper", "stopped; data kept in " + data);
        }
        if (lockChannel != null) {
            try {
                lockChannel.close(); // releases the lock
            } catch (IOException e) {
                // the OS releases it at exit anyway
            }
        }
    }
}
