package io.stickyring.dist;

import io.stickyring.ring.HashAlgorithm;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Validated settings of one {@code stickyring demo} run.
 *
 * <p>Invariant: every instance is runnable as far as values go; the compact constructor rejects a
 * bad value with the value in the message ("nodes (0) must be in 1..16"). Port 0 means "any free
 * port" (tests); the defaults are the documented ones in docs/demo.md.
 *
 * @param nodes        chat nodes to start as child JVMs (1..16), ids n1..nN
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
 *                     {@code <data>/<id>/chat.db} and an in-process bus (nodes are islands)
 */
public record DemoConfig(int nodes, String host, int port, int adminPort, int controlPort, Path dataDir, String cluster,
                         List<String> nodeJvmOptions, java.time.Duration drainPeriod, String algorithm, boolean sharedStore) {

    public static final int MAX_NODES = 16;
    public static final List<String> DEFAULT_NODE_JVM_OPTIONS = List.of("-Xms32m", "-Xmx256m", "-XX:+UseSerialGC");

    public DemoConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(algorithm, "algorithm");
        nodeJvmOptions = List.copyOf(Objects.requireNonNull(nodeJvmOptions, "nodeJvmOptions"));
        if (nodes < 1 || nodes > MAX_NODES) {
            throw new IllegalArgumentException("nodes (" + nodes + ") must be in 1.." + MAX_NODES);
        }
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

    private static void port(String name, int value) {
        if (value < 0 || value > 65535) {
            throw new IllegalArgumentException(name + " (" + value + ") must be in 0..65535");
        }
    }

    /** The documented defaults: 3 nodes, LB on 127.0.0.1:8080, admin 9090, control 9091, data in ./demo-data. */
    public static DemoConfig defaults() {
        return new DemoConfig(3, "127.0.0.1", 8080, 9090, 9091, Path.of("demo-data"), "demo", DEFAULT_NODE_JVM_OPTIONS, java.time.Duration.ofSeconds(2), "ring", true);
    }

    /** Same settings on free ports everywhere (for tests). */
    public DemoConfig onFreePorts() {
        return new DemoConfig(nodes, host, 0, 0, controlPort == -1 ? -1 : 0, dataDir, cluster, nodeJvmOptions, drainPeriod, algorithm, sharedStore);
    }

    public DemoConfig withDataDir(Path dir) {
        return new DemoConfig(nodes, host, port, adminPort, controlPort, dir, cluster, nodeJvmOptions, drainPeriod, algorithm, sharedStore);
    }

    public DemoConfig withSharedStore(boolean shared) {
        return new DemoConfig(nodes, host, port, adminPort, controlPort, dataDir, cluster, nodeJvmOptions, drainPeriod, algorithm, shared);
    }

    /** Node ids n1..nN. */
    public List<String> nodeIds() {
        return java.util.stream.IntStream.rangeClosed(1, nodes).mapToObj(i -> "n" + i).toList();
    }
}
