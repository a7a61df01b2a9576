package io.stickyring.lb.config;

import io.stickyring.cli.TransportKind;
import io.stickyring.cli.HostPort;
import io.stickyring.cli.Durations;
import io.stickyring.membership.Member;
import io.stickyring.ring.HashAlgorithm;
import io.stickyring.ring.HashConfig;
import io.stickyring.ring.KeyMode;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Validated configuration of one load balancer instance.
 *
 * <p>Invariant: every instance is valid; the compact constructor rejects a bad value with the
 * value in the message ("connectTries (0) must be >= 1"). Exactly one membership source is set:
 * {@code zk} or a non-empty {@code backends} list. Zero means "off" for the optional limits and
 * timeouts documented as such in docs/lb.md. Build with {@link #builder()}, which holds the defaults.
 */
public record LbConfig(
        HostPort listen,
        HostPort admin,
        String adminToken,
        String zk,
        String cluster,
        List<Member> backends,
        String algorithm,
        KeyMode keyMode,
        int prefixV4,
        int prefixV6,
        double balanceFactor,
        ProxyProtocolMode proxyProtocol,
        boolean acceptProxyProtocol,
        Duration connectTimeout,
        int connectTries,
        Duration downBackoffMin,
        Duration downBackoffMax,
        HealthCheckMode healthCheck,
        String healthPath,
        Duration healthInterval,
        Duration healthTimeout,
        int healthRise,
        int healthFall,
        boolean keepConnectionsOnDown,
        Duration drainTimeout,
        int maxConnectionsPerMember,
        Duration slowStart,
        int maxConnections,
        int maxConnectionsPerIp,
        double acceptRatePerIp,
        Duration clientIdleTimeout,
        Duration memberIdleTimeout,
        Duration tcpUserTimeout,
        Duration keepaliveIdle,
        Duration keepaliveInterval,
        int keepaliveCount,
        int backlog,
        int acceptThreads,
        int ioThreads,
        TransportKind transport,
        Duration shutdownGrace,
        double closeLogSample,
        List<HostPort> extraListens,
        ProxyEngine proxyEngine) {

    public LbConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(backends, "backends");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(keyMode, "keyMode");
        Objects.requireNonNull(proxyProtocol, "proxyProtocol");
        Objects.requireNonNull(healthCheck, "healthCheck");
        Objects.requireNonNull(transport, "transport");
        proxyEngine = proxyEngine == null ? ProxyEngine.AUTO : proxyEngine;
        backends = List.copyOf(backends);
        extraListens = extraListens == null ? List.of() : List.copyOf(extraListens);
        cluster = cluster == null || cluster.isEmpty() ? "default" : cluster;
        healthPath = healthPath == null ? "/healthz" : healthPath;
        if (adminToken != null && adminToken.isBlank()) {
            adminToken = null;
        }
        if (zk != null && zk.isBlank()) {
            zk = null;
        }
        if (zk == null && backends.isEmpty()) {
            throw new IllegalArgumentException("a membership source is required: --zk CONNECT or at least one --backend ID=HOST:PORT");
        }
        if (zk != null && !backends.isEmpty()) {
            throw new IllegalArgumentException("--zk (" + zk + ") and --backend (" + backends.size()
                    + " given) are exclusive: choose one membership source");
        }
        long distinct = backends.stream().map(Member::id).distinct().count();
        if (distinct != backends.size()) {
            throw new IllegalArgumentException("backend ids must be unique: " + backends.stream().map(Member::id).toList());
        }
        List<HostPort> all = new java.util.ArrayList<>();
        all.add(listen);
        all.addAll(extraListens);
        for (int i = 0; i < all.size(); i++) {
            HostPort a = all.get(i);
            if (a.port() != 0 && a.equals(admin)) {
                throw new IllegalArgumentException("listen (" + a + ") is also the admin address: choose another port");
            }
            if (a.port() != 0 && all.subList(0, i).contains(a)) {
                throw new IllegalArgumentException("listen (" + a + ") is given twice");
            }
        }
        if (all.size() > 16) {
            throw new IllegalArgumentException("listen is given " + all.size() + " times: at most 16 addresses");
        }
        if (!admin.isLoopback() && adminToken == null) {
            throw new IllegalArgumentException("admin listener " + admin
                    + " is not loopback: set --admin-token to require a bearer token, or bind 127.0.0.1");
        }
        HashAlgorithm alg;
        try {
            alg = HashAlgorithm.fromName(algorithm);
        } catch (IllegalArgumentException e) {
            alg = null;
        }
        if (alg == null || !alg.offeredToLb()) {
            throw new IllegalArgumentException("algorithm (" + algorithm + ") must be one of " + HashAlgorithm.lbNames());
        }
        range("prefixV4", prefixV4, 0, 32);
        range("prefixV6", prefixV6, 0, 128);
        if (balanceFactor != 0 && !(balanceFactor > 1.0 && balanceFactor <= 100.0)) {
            throw new IllegalArgumentException("balance-factor (" + balanceFactor + ") must be 0 (off) or in (1.0, 100]");
        }
        positive("connectTimeout", connectTimeout);
        range("connectTries", connectTries, 1, 16);
        positive("downBackoffMin", downBackoffMin);
        positive("downBackoffMax", downBackoffMax);
        if (downBackoffMax.compareTo(downBackoffMin) < 0) {
            throw new IllegalArgumentException("down-backoff-max (" + Durations.format(downBackoffMax)
                    + ") must be >= down-backoff-min (" + Durations.format(downBackoffMin) + ")");
        }
        if (!healthPath.startsWith("/")) {
            throw new IllegalArgumentException("health-path (" + healthPath + ") must start with /");
        }
        positive("healthInterval", healthInterval);
        positive("healthTimeout", healthTimeout);
        range("healthRise", healthRise, 1, 100);
        range("healthFall", healthFall, 1, 100);
        nonNegative("drainTimeout", drainTimeout);
        range("maxConnectionsPerMember", maxConnectionsPerMember, 0, Integer.MAX_VALUE);
        nonNegative("slowStart", slowStart);
        range("maxConnections", maxConnections, 1, Integer.MAX_VALUE);
        range("maxConnectionsPerIp", maxConnectionsPerIp, 0, Integer.MAX_VALUE);
        if (!(acceptRatePerIp >= 0 && acceptRatePerIp <= 1_000_000)) {
            throw new IllegalArgumentException("accept-rate-per-ip (" + acceptRatePerIp + ") must be in 0..1000000 per second (0 = off)");
        }
        nonNegative("clientIdleTimeout", clientIdleTimeout);
        nonNegative("memberIdleTimeout", memberIdleTimeout);
        nonNegative("tcpUserTimeout", tcpUserTimeout);
        if (tcpUserTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tcp-user-timeout (" + Durations.format(tcpUserTimeout) + ") is too large");
        }
        range("keepaliveIdle", seconds(keepaliveIdle), 1, 32767);
        range("keepaliveInterval", seconds(keepaliveInterval), 1, 32767);
        range("keepaliveCount", keepaliveCount, 1, 127);
        range("backlog", backlog, 1, 1 << 20);
        range("acceptThreads", acceptThreads, 0, 64);
        range("ioThreads", ioThreads, 1, 1024);
        nonNegative("shutdownGrace", shutdownGrace);
        if (!(closeLogSample >= 0 && closeLogSample <= 1)) {
            throw new IllegalArgumentException("close-log-sample (" + closeLogSample + ") must be in 0..1");
        }
        if (proxyEngine == ProxyEngine.DIRECT) {
            // the parameters: in a compact constructor the fields are assigned only after this body
            String no = directUnsupported(transport, acceptThreads, acceptProxyProtocol);
            if (no != null) {
                throw new IllegalArgumentException("proxy-engine direct does not support " + no
                        + " (yet); use --proxy-engine channels for it");
            }
        }
    }

    /** The first setting the direct engine does not carry yet, as its flag and value; null if none. */
    public String directUnsupported() {
        return directUnsupported(transport, acceptThreads, acceptProxyProtocol);
    }

    private static String directUnsupported(TransportKind transport, int acceptThreads, boolean acceptProxyProtocol) {
        return transport != TransportKind.EPOLL ? "--transport " + transport.name().toLowerCase(java.util.Locale.ROOT)
                : acceptThreads != 0 ? "--accept-threads " + acceptThreads
                : acceptProxyProtocol ? "--accept-proxy-protocol"
                : null;
    }

    private static long seconds(Duration d) {
        return d == null ? -1 : d.toSeconds();
    }

    /** connectTries -> connect-tries: messages use the flag / YAML key name. */
    private static String key(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static void range(String name, long value, long min, long max) {
        name = key(name);
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " (" + value + ") must be in " + min + ".."
                    + (max == Integer.MAX_VALUE ? "2147483647" : String.valueOf(max)));
        }
    }

    private static void positive(String name, Duration d) {
        name = key(name);
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " (" + Durations.format(d) + ") must be > 0");
        }
    }

    private static void nonNegative(String name, Duration d) {
        name = key(name);
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " (" + d + ") must not be negative");
        }
    }

    /** Every proxy listener address: {@code listen} first, then the further {@code --listen} ones. */
    public List<HostPort> listens() {
        List<HostPort> all = new java.util.ArrayList<>();
        all.add(listen);
        all.addAll(extraListens);
        return List.copyOf(all);
    }

    /** The typed hash config the router builds rings from ({@code algorithm} with ring's default parameters). */
    public HashConfig hashConfig() {
        return HashConfig.of(algorithm);
    }

    public boolean usesZooKeeper() {
        return zk != null;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mutable holder of the defaults; {@link #build()} validates. */
    public static final class Builder {
        public HostPort listen = new HostPort("0.0.0.0", 8080);
        public HostPort admin = new HostPort("127.0.0.1", 9090);
        public String adminToken;
        public String zk;
        public String cluster = "default";
        public List<Member> backends = List.of();
        public String algorithm = "ring";
        public KeyMode keyMode = KeyMode.ADDRESS;
        public int prefixV4 = 24;
        public int prefixV6 = 64;
        public double balanceFactor = 0;
        public ProxyProtocolMode proxyProtocol = ProxyProtocolMode.NONE;
        public boolean acceptProxyProtocol;
        public Duration connectTimeout = Duration.ofSeconds(2);
        public int connectTries = 3;
        public Duration downBackoffMin = Duration.ofSeconds(1);
        public Duration downBackoffMax = Duration.ofSeconds(30);
        public HealthCheckMode healthCheck = HealthCheckMode.NONE;
        public String healthPath = "/healthz";
        public Duration healthInterval = Duration.ofSeconds(2);
        public Duration healthTimeout = Duration.ofSeconds(1);
        public int healthRise = 2;
        public int healthFall = 3;
        public boolean keepConnectionsOnDown;
        public Duration drainTimeout = Duration.ofMinutes(5);
        public int maxConnectionsPerMember = 0;
        public Duration slowStart = Duration.ZERO;
        public int maxConnections = 100_000;
        public int maxConnectionsPerIp = 0;
        public double acceptRatePerIp = 0;
        public Duration clientIdleTimeout = Duration.ZERO;
        public Duration memberIdleTimeout = Duration.ZERO;
        public Duration tcpUserTimeout = Duration.ofSeconds(30);
        public Duration keepaliveIdle = Duration.ofSeconds(60);
        public Duration keepaliveInterval = Duration.ofSeconds(10);
        public int keepaliveCount = 6;
        public int backlog = 4096;
        /**
         * 0 (the default) = one listening socket per I/O event loop, no accept threads (native transports;
         * NIO then uses one accept thread); N > 0 = N accept threads handing connections to the loops
         * (see LoadBalancer#bindListeners).
         */
        public int acceptThreads = 0;
        public int ioThreads = Runtime.getRuntime().availableProcessors();
        public TransportKind transport = TransportKind.EPOLL;
        public Duration shutdownGrace = Duration.ofSeconds(30);
        public double closeLogSample = 1.0;
        /** Proxy listeners beyond {@link #listen} (a repeated {@code --listen}). */
        public List<HostPort> extraListens = List.of();
        public ProxyEngine proxyEngine = ProxyEngine.AUTO;

        public Builder listen(HostPort v) { listen = v; return this; }
        public Builder admin(HostPort v) { admin = v; return this; }
        public Builder backends(List<Member> v) { backends = v; return this; }

        public LbConfig build() {
            return new LbConfig(listen, admin, adminToken, zk, cluster, backends, algorithm, keyMode, prefixV4,
                    prefixV6, balanceFactor, proxyProtocol, acceptProxyProtocol, connectTimeout, connectTries,
                    downBackoffMin, downBackoffMax, healthCheck, healthPath, healthInterval, healthTimeout,
                    healthRise, healthFall, keepConnectionsOnDown, drainTimeout, maxConnectionsPerMember,
                    slowStart, maxConnections, maxConnectionsPerIp, acceptRatePerIp, clientIdleTimeout,
                    memberIdleTimeout, tcpUserTimeout, keepaliveIdle, keepaliveInterval, keepaliveCount,
                    backlog, acceptThreads, ioThreads, transport, shutdownGrace, closeLogSample, extraListens, proxyEngine);
        }
    }
}
