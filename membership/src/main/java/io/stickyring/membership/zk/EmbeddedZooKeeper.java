package io.stickyring.membership.zk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real standalone ZooKeeper server inside this JVM, through ZooKeeper's own
 * {@link ZooKeeperServerEmbedded} (which runs {@code ZooKeeperServerMain}), for
 * {@code stickyring zk} and {@code stickyring demo}. Data (snapshots and transaction log) lives
 * in {@link Config#dataDir()} and survives restarts.
 *
 * <p>With an {@link Ensemble} ({@link #start(Config, Ensemble)}) the same class runs one member of a
 * ZooKeeper quorum: ZooKeeper's {@code QuorumPeerMain} (chosen by {@code ZooKeeperServerEmbedded}
 * when the properties list {@code server.N} entries), with {@code myid} written into the data dir.
 * Then {@code start} returns once this peer runs; it serves clients only while a quorum is up.
 *
 * <p>Invariant: once {@link #start(Config)} returns the server accepts connections at
 * {@link #connectString()} (with the real port when 0 was asked); {@link #close()} is idempotent
 * and never calls {@code System.exit} (the exit handler only logs).
 */
public final class EmbeddedZooKeeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedZooKeeper.class);

    /**
     * Server settings.
     *
     * @param host               address to listen on (default 127.0.0.1: development only)
     * @param port               client port, 0 for any free port (default 2181)
     * @param dataDir            snapshot and transaction-log directory, created if missing
     * @param tickTime           ZooKeeper's time unit; sessions may last 2..20 ticks (default 2 s)
     * @param maxClientCnxns     connections per client IP, 0 for no limit (default 0: a demo runs
     *                           many nodes from 127.0.0.1)
     * @param startTimeout       how long {@link #start(Config)} waits for the server to serve
     */
    public record Config(String host, int port, Path dataDir, Duration tickTime, int maxClientCnxns, Duration startTimeout) {

        public static final String DEFAULT_HOST = "127.0.0.1";
        public static final int DEFAULT_PORT = 2181;
        public static final Duration DEFAULT_TICK_TIME = Duration.ofSeconds(2);
        public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(30);

        public Config {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(dataDir, "dataDir");
            Objects.requireNonNull(tickTime, "tickTime");
            Objects.requireNonNull(startTimeout, "startTimeout");
            if (host.isBlank()) {
                throw new IllegalArgumentException("host (" + host + ") must not be blank");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port (" + port + ") must be in 0..65535");
            }
            if (tickTime.toMillis() < 1 || tickTime.toMillis() > 60_000) {
                throw new IllegalArgumentException("tickTime (" + tickTime.toMillis() + " ms) must be in 1..60000 ms");
            }
            if (maxClientCnxns < 0) {
                throw new IllegalArgumentException("maxClientCnxns (" + maxClientCnxns + ") must be >= 0");
            }
            if (startTimeout.toMillis() < 1) {
                throw new IllegalArgumentException("startTimeout (" + startTimeout.toMillis() + " ms) must be >= 1 ms");
            }
        }

        /** Defaults for everything except where the data goes. */
        public static Config of(Path dataDir) {
            return new Config(DEFAULT_HOST, DEFAULT_PORT, dataDir, DEFAULT_TICK_TIME, 0, DEFAULT_START_TIMEOUT);
        }

        public Config withHost(String value) {
            return new Config(value, port, dataDir, tickTime, maxClientCnxns, startTimeout);
        }

        public Config withPort(int value) {
            return new Config(host, value, dataDir, tickTime, maxClientCnxns, startTimeout);
        }

        public Config withTickTime(Duration value) {
            return new Config(host, port, dataDir, value, maxClientCnxns, startTimeout);
        }

        public Config withStartTimeout(Duration value) {
            return new Config(host, port, dataDir, tickTime, maxClientCnxns, value);
        }
    }

    /**
     * One member's view of a ZooKeeper ensemble: its own id and every server of the quorum.
     * Server ids are the 1-based positions in {@link #servers()} (ZooKeeper's {@code server.N}).
     *
     * @param serverId this process's id (1..servers.size())
     * @param servers  every server, in id order; at least 1, usually 3 or 5
     */
    public record Ensemble(int serverId, List<Server> servers) {

        /** {@code host:peerPort:electionPort:clientPort} of one server. */
        public record Server(String host, int peerPort, int electionPort, int clientPort) {
            public Server {
                Objects.requireNonNull(host, "host");
                if (host.isBlank()) {
                    throw new IllegalArgumentException("ensemble host (" + host + ") must not be blank");
                }
                requirePort("peerPort", peerPort);
                requirePort("electionPort", electionPort);
                requirePort("clientPort", clientPort);
                if (peerPort == electionPort || peerPort == clientPort || electionPort == clientPort) {
                    throw new IllegalArgumentException("ensemble server (" + host + ":" + peerPort + ":" + electionPort + ":" + clientPort
                            + ") needs three different ports");
                }
            }

            /** Parses {@code host:peerPort:electionPort:clientPort}. */
            public static Server parse(String spec) {
                String[] parts = spec.trim().split(":");
                if (parts.length != 4) {
                    throw new IllegalArgumentException("ensemble server (" + spec + ") must be host:peerPort:electionPort:clientPort");
                }
                try {
                    return new Server(parts[0], Integer.parseInt(parts[1]), Integer.parseInt(parts[2]), Integer.parseInt(parts[3]));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("ensemble server (" + spec + ") has a port that is not a number", e);
                }
            }

            private static void requirePort(String name, int port) {
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("ensemble " + name + " (" + port + ") must be in 1..65535");
                }
            }

            @Override
            public String toString() {
                return host + ":" + peerPort + ":" + electionPort + ":" + clientPort;
            }
        }

        public Ensemble {
            Objects.requireNonNull(servers, "servers");
            servers = List.copyOf(servers);
            if (servers.isEmpty()) {
                throw new IllegalArgumentException("ensemble must list at least one server");
            }
            if (serverId < 1 || serverId > servers.size()) {
                throw new IllegalArgumentException("server id (" + serverId + ") must be in 1.." + servers.size()
                        + " (the position of this server in the ensemble list)");
            }
        }

        /** Parses {@code host:peer:election:client,...}; server N is the N-th entry. */
        public static Ensemble parse(int serverId, String spec) {
            Objects.requireNonNull(spec, "ensemble");
            List<Server> list = new ArrayList<>();
            for (String part : spec.split(",")) {
                if (!part.isBlank()) {
                    list.add(Server.parse(part));
                }
            }
            return new Ensemble(serverId, list);
        }

        public Server self() {
            return servers.get(serverId - 1);
        }

        /** The client connect string of the whole ensemble, {@code h1:c1,h2:c2,...}. */
        public String connectString() {
            StringBuilder sb = new StringBuilder();
            for (Server s : servers) {
                sb.append(sb.isEmpty() ? "" : ",").append(s.host()).append(':').append(s.clientPort());
            }
            return sb.toString();
        }
    }

    private final ZooKeeperServerEmbedded server;
    private final Path configDir;
    private final String connectString;
    private final int port;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedZooKeeper(ZooKeeperServerEmbedded server, Path configDir, String host) {
        this.server = server;
        this.configDir = configDir;
        this.port = server.getClientPort();
        this.connectString = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * Starts a server and waits until it serves.
     *
     * @throws IllegalStateException naming the port and directory if it cannot start (port taken,
     *                               directory not writable, ...)
     */
    public static EmbeddedZooKeeper start(Config config) {
        return start(config, null);
    }

    /**
     * Starts one member of {@code ensemble} (host and client port come from its entry, the other
     * settings from {@code config}); {@code null} = standalone, as {@link #start(Config)}. Returns
     * once the peer runs; it serves clients once a quorum of the ensemble is up.
     */
    public static EmbeddedZooKeeper start(Config config, Ensemble ensemble) {
        if (ensemble != null) {
            config = config.withHost(ensemble.self().host()).withPort(ensemble.self().clientPort());
        }
        Path dataDir = config.dataDir().toAbsolutePath();
        Path configDir = null;
        ZooKeeperServerEmbedded server = null;
        try {
            InetAddress address = InetAddress.getByName(config.host());
            if (config.port() != 0) {
                // ZooKeeperServerEmbedded only logs a bind failure and lets start() time out: fail fast with the port named.
                try (ServerSocket probe = new ServerSocket()) {
                    probe.setReuseAddress(true);
                    probe.bind(new InetSocketAddress(address, config.port()));
                } catch (IOException e) {
                    throw new IllegalStateException("cannot start ZooKeeper on " + config.host() + ":" + config.port() + ": port in use ("
                            + e.getMessage() + ")", e);
                }
            }
            Files.createDirectories(dataDir);
            // ZooKeeperServerEmbedded writes a fresh config file into its base dir at every boot; keep those out of dataDir.
            configDir = Files.createTempDirectory("stickyring-zk-conf");
            Properties p = new Properties();
            p.setProperty("dataDir", dataDir.toString());
            p.setProperty("clientPortAddress", config.host());
            p.setProperty("clientPort", Integer.toString(config.port()));
            p.setProperty("tickTime", Long.toString(config.tickTime().toMillis()));
            p.setProperty("maxClientCnxns", Integer.toString(config.maxClientCnxns()));
            p.setProperty("maxCnxns", "0"); // no server-wide cap either (ZooKeeper warns when it is unset)
            p.setProperty("admin.enableServer", "false");
            // Keep a long-running development server's disk bounded: 3 snapshots, purged hourly.
            p.setProperty("autopurge.snapRetainCount", "3");
            p.setProperty("autopurge.purgeInterval", "1");
            if (ensemble != null) {
                Files.writeString(dataDir.resolve("myid"), Integer.toString(ensemble.serverId()));
                for (int i = 0; i < ensemble.servers().size(); i++) {
                    Ensemble.Server s = ensemble.servers().get(i);
                    p.setProperty("server." + (i + 1), s.host() + ":" + s.peerPort() + ":" + s.electionPort());
                }
                // Ticks a follower may take to connect and sync (initLimit) and to stay in sync (syncLimit).
                p.setProperty("initLimit", "10");
                p.setProperty("syncLimit", "5");
                p.setProperty("reconfigEnabled", "false");
            }
            server = ZooKeeperServerEmbedded.builder()
                    .baseDir(configDir)
                    .configuration(p)
                    .exitHandler(ExitHandler.LOG_ONLY)
                    .build();
            server.start(config.startTimeout().toMillis());
            EmbeddedZooKeeper zk = new EmbeddedZooKeeper(server, configDir, config.host());
            LOG.info("ZooKeeper {} serving at {} with data in {}", org.apache.zookeeper.Version.getFullVersion(), zk.connectString, dataDir);
            return zk;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("host (" + config.host() + ") cannot be resolved", e);
        } catch (IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            if (server != null) {
                server.close();
            }
            deleteQuietly(configDir);
            throw new IllegalStateException("cannot start ZooKeeper on " + config.host() + ":" + config.port() + " with data in " + dataDir
                    + ": " + e.getMessage(), e);
        }
    }

    /** {@code host:port} of this server, with the real port. */
    public String connectString() {
        return connectString;
    }

    public int port() {
        return port;
    }

    /** Stops the server (data stays on disk); safe to call more than once. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.close();
            deleteQuietly(configDir);
            LOG.info("ZooKeeper at {} stopped", connectString);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("could not delete {}: {}", dir, e.toString());
        }
    }
}
