package io.stickyring.dist;

import io.stickyring.chat.bus.NatsConfig;
import io.stickyring.chat.cluster.NodeRole;
import io.stickyring.chat.store.PostgresConfig;
import io.stickyring.ring.HashAlgorithm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Validated settings of one {@code stickyring demo} run.
 *
 * <p>Invariant: every instance is runnable as far as values go; the compact constructor rejects a
 * bad value with the value in the message ("nodes (0) must be in 1..16"). Port 0 means "any free
 * port" (tests); the defaults are the documented ones in docs/demo.md.
 *
 * <p>Two shapes (docs/cluster.md "roles"): {@code nodes} of role {@code all} (ids n1..nN; the
 * default, on SQLite unless {@code store} and {@code bus} are given), or the split shape:
 * {@code edges} of role {@code edge} (e1..eN, the LB's members) and {@code writers} of role
 * {@code writer} (w1..wM, registered as writers only), which needs the cluster store and bus.
 *
 * @param nodes        nodes of role all to start as child JVMs (1..16), ids n1..nN; 0 in the split shape
 * @param host         address the LB proxy listens on (default 127.0.0.1: dev login is on)
 * @param port         LB proxy port, where the web client is served
 * @param adminPort    LB admin API port (always on 127.0.0.1)
 * @param controlPort  demo control endpoint port (always on 127.0.0.1); -1 turns it off
 * @param dataDir      root of every data directory: {@code zk/}, {@code n1/}, ...
 * @param cluster      cluster name under /stickyring in ZooKeeper
 * @param nodeJvmOptions JVM options of each node child process
 * @param drainPeriod  how long a node stays DRAINING after a graceful {@code kill} before closing sessions (0..5m)
 * @param algorithm    the LB's consistent-hash algorithm: ring, maglev or rendezvous
 * @param sharedStore  true: every node uses {@code <data>/chat.db} with {@code --bus sqlite} (users on
 *                     different nodes talk, failover resumes from the cursor); false: each node its own
 *                     {@code <data>/<id>/chat.db} and an in-process bus (nodes are islands); always true with {@code store}
 * @param edges        split shape: nodes of role edge (e1..eN), 0 otherwise
 * @param writers      split shape: nodes of role writer (w1..wM), 0 otherwise
 * @param store        the cluster store every node uses ({@code postgresql://...}), or null for SQLite in {@code dataDir}
 * @param bus          the bus every node uses ({@code nats://...}); given exactly when {@code store} is
 */
public record DemoConfig(int nodes, String host, int port, int adminPort, int controlPort, Path dataDir, String cluster,
                         List<String> nodeJvmOptions, java.time.Duration drainPeriod, String algorithm, boolean sharedStore,
                         int edges, int writers, String store, String bus) {

    public static final int MAX_NODES = 16;
    public static final List<String> DEFAULT_NODE_JVM_OPTIONS = List.of("-Xms32m", "-Xmx256m", "-XX:+UseSerialGC");

    public DemoConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(algorithm, "algorithm");
        nodeJvmOptions = List.copyOf(Objects.requireNonNull(nodeJvmOptions, "nodeJvmOptions"));
        checkShape(nodes, edges, writers);
        checkStoreAndBus(store, bus, sharedStore, edges + writers > 0);
        if (host.isBlank()) {
            throw new IllegalArgumentException("host (" + host + ") must not be blank");
        }
        port("port", port);
        port("admin-port", adminPort);
        if (controlPort != -1) {
            port("control-port", controlPort);
        }
        if (port != 0 && (port == adminPort || port == controlPort)) {
            throw new IllegalArgumentException("port (" + port + ") must differ from admin-port (" + adminPort
                    + ") and control-port (" + controlPort + ")");
        }
        if (adminPort != 0 && adminPort == controlPort) {
            throw new IllegalArgumentException("admin-port (" + adminPort + ") must differ from control-port (" + controlPort + ")");
        }
        if (!cluster.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("cluster (" + cluster + ") must be 1..64 of A-Z a-z 0-9 . _ -");
        }
        Objects.requireNonNull(drainPeriod, "drainPeriod");
        if (drainPeriod.isNegative() || drainPeriod.compareTo(java.time.Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException("drain-period (" + io.stickyring.cli.Durations.format(drainPeriod) + ") must be in 0..5m");
        }
        HashAlgorithm alg;
        try {
            alg = HashAlgorithm.fromName(algorithm);
        } catch (IllegalArgumentException e) {
            alg = null;
        }
        if (alg == null || !alg.offeredToLb()) {
            throw new IllegalArgumentException("algorithm (" + algorithm + ") must be one of ring, maglev, rendezvous");
        }
    }

    /** Role all (nodes 1..16, no edges or writers), or split (edges >= 1, writers >= 1, at most 16 together, no nodes). */
    private static void checkShape(int nodes, int edges, int writers) {
        if (edges < 0 || edges > MAX_NODES) {
            throw new IllegalArgumentException("edges (" + edges + ") must be in 0.." + MAX_NODES);
        }
        if (writers < 0 || writers > MAX_NODES) {
            throw new IllegalArgumentException("writers (" + writers + ") must be in 0.." + MAX_NODES);
        }
        if (edges == 0 && writers == 0) {
            if (nodes < 1 || nodes > MAX_NODES) {
                throw new IllegalArgumentException("nodes (" + nodes + ") must be in 1.." + MAX_NODES);
            }
            return;
        }
        if (nodes != 0) {
            throw new IllegalArgumentException("nodes (" + nodes + ") cannot be combined with --edges/--writers: the split shape runs edges and writers instead of nodes of role all");
        }
        if (edges == 0) {
            throw new IllegalArgumentException("edges (0) must be at least 1 with --writers " + writers + ": the LB gives clients to edges only");
        }
        if (writers == 0) {
            throw new IllegalArgumentException("writers (0) must be at least 1 with --edges " + edges + ": edges forward every send to a writer");
        }
        if (edges + writers > MAX_NODES) {
            throw new IllegalArgumentException("edges + writers (" + edges + " + " + writers + ") must be at most " + MAX_NODES);
        }
    }

    /** The split shape needs both; role all takes both or neither; the URLs are parsed as the node parses them. */
    private static void checkStoreAndBus(String store, String bus, boolean sharedStore, boolean split) {
        if (split && store == null) {
            throw new IllegalArgumentException("the split shape (--edges/--writers) needs --store postgresql://USER@HOST:PORT/DB"
                    + " (the cluster store edges and writers share)");
        }
        if (split && bus == null) {
            throw new IllegalArgumentException("the split shape (--edges/--writers) needs --bus nats://HOST:PORT"
                    + " (edges forward sends to writers over it)");
        }
        if (store == null && bus == null) {
            return;
        }
        if (store == null) {
            throw new IllegalArgumentException("--bus needs --store postgresql://USER@HOST:PORT/DB (without both the demo runs on SQLite)");
        }
        if (bus == null) {
            throw new IllegalArgumentException("--store needs --bus nats://HOST:PORT (without both the demo runs on SQLite)");
        }
        if (!store.startsWith("postgresql://")) {
            throw new IllegalArgumentException("store (" + store.replaceAll("[?].*", "") + ") must be a postgresql:// URL"
                    + " (without --store the demo uses SQLite in --data)");
        }
        if (!bus.startsWith("nats://")) {
            throw new IllegalArgumentException("bus (" + bus.replaceAll("[?].*", "") + ") must be a nats:// URL"
                    + " (without --bus the demo uses SQLite in --data)");
        }
        PostgresConfig.parse(store, 1);
        NatsConfig.parse(bus);
        if (!sharedStore) {
            throw new IllegalArgumentException("--no-shared-store is for SQLite; with --store every node uses the one PostgreSQL store");
        }
    }

    private static void port(String name, int value) {
        if (value < 0 || value > 65535) {
            throw new IllegalArgumentException(name + " (" + value + ") must be in 0..65535");
        }
    }

    /** The documented defaults: 3 nodes, LB on 127.0.0.1:8080, admin 9090, control 9091, data in ./demo-data. */
    public static DemoConfig defaults() {
        return new DemoConfig(3, "127.0.0.1", 8080, 9090, 9091, Path.of("demo-data"), "demo", DEFAULT_NODE_JVM_OPTIONS, java.time.Duration.ofSeconds(2), "ring", true);
    }

    /** Nodes of role all on SQLite: the demo without --edges, --writers, --store and --bus. */
    public DemoConfig(int nodes, String host, int port, int adminPort, int controlPort, Path dataDir, String cluster,
                      List<String> nodeJvmOptions, java.time.Duration drainPeriod, String algorithm, boolean sharedStore) {
        this(nodes, host, port, adminPort, controlPort, dataDir, cluster, nodeJvmOptions, drainPeriod, algorithm, sharedStore, 0, 0, null, null);
    }

    /** Same settings on free ports everywhere (for tests). */
    public DemoConfig onFreePorts() {
        return new DemoConfig(nodes, host, 0, 0, controlPort == -1 ? -1 : 0, dataDir, cluster, nodeJvmOptions, drainPeriod, algorithm, sharedStore,
                edges, writers, store, bus);
    }

    public DemoConfig withDataDir(Path dir) {
        return new DemoConfig(nodes, host, port, adminPort, controlPort, dir, cluster, nodeJvmOptions, drainPeriod, algorithm, sharedStore,
                edges, writers, store, bus);
    }

    public DemoConfig withSharedStore(boolean shared) {
        return new DemoConfig(nodes, host, port, adminPort, controlPort, dataDir, cluster, nodeJvmOptions, drainPeriod, algorithm, shared,
                edges, writers, store, bus);
    }

    /** True for the split shape (edges and writers), false for nodes of role all. */
    public boolean split() {
        return edges > 0;
    }

    /** Node ids: n1..nN (role all), or e1..eN then w1..wM (split). */
    public List<String> nodeIds() {
        if (!split()) {
            return ids("n", nodes);
        }
        List<String> ids = new ArrayList<>(ids("e", edges));
        ids.addAll(ids("w", writers));
        return List.copyOf(ids);
    }

    /** The ids the LB lists as its members: every node of role all, or the edges. */
    public List<String> lbMemberIds() {
        return split() ? ids("e", edges) : ids("n", nodes);
    }

    /** The role of node {@code id} (one of {@link #nodeIds()}). */
    public NodeRole role(String id) {
        if (!nodeIds().contains(id)) {
            throw new IllegalArgumentException("no node '" + id + "' (nodes: " + String.join(", ", nodeIds()) + ")");
        }
        return switch (id.charAt(0)) {
            case 'e' -> NodeRole.EDGE;
            case 'w' -> NodeRole.WRITER;
            default -> NodeRole.ALL;
        };
    }

    private static List<String> ids(String prefix, int n) {
        return java.util.stream.IntStream.rangeClosed(1, n).mapToObj(i -> prefix + i).toList();
    }
}
