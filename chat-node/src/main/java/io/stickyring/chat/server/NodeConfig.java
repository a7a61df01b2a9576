package io.stickyring.chat.server;

import io.stickyring.chat.auth.TokenSettings;
import io.stickyring.chat.cluster.NodeRole;
import io.stickyring.chat.cluster.OwnerRoutedStore;
import io.stickyring.membership.zk.ZkSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a chat node is configured with, validated once: the compact constructor rejects bad
 * values naming them. Defaults (see {@link #defaults}) are the documented limits of docs/protocol.md.
 */
public record NodeConfig(
        String host, int port, String nodeId, String advertise,
        String store, String bus, byte[] secret, boolean devLogin, Duration tokenTtl,
        boolean acceptProxyProtocol, Path tlsCert, Path tlsKey,
        int maxFrameBytes, int maxBodyBytes, int maxHttpBodyBytes,
        double ratePerSecond, int rateBurst, int maxConnections, int maxSessionsPerIp,
        Duration pingInterval, Duration pongTimeout, Duration helloTimeout,
        int writeLowWatermark, int writeHighWatermark, Duration slowConsumerTimeout,
        int syncBatch, Duration maxPollWait, int historyMaxLimit,
        Duration drainPeriod, Duration retryHintMin, Duration retryHintMax,
        int commitMaxBatch, int ioThreads, int blockingThreads,
        String zk, String cluster, int weight, String zone, ZkSettings zkSettings,
        Path publicKeyFile, Path jwksFile, String tokenAudience, String tokenIssuer, Duration tokenClockSkew,
        Duration tokenKeyReload, boolean insecureDevLoginOnPublicAddress, String adminHost, int adminPort,
        Path adminTokenFile, Duration requestTimeout, int maxReplyBytes, double groupsPerMinute, int maxGroupsPerUser,
        NodeRole role, TrustedProxies trustedProxies, int forwardWindow, Duration writerProbeDelay) {

    public NodeConfig {
        Objects.requireNonNull(host, "host");
        requireRange("port", port, 0, 65535);
        if (nodeId == null || !nodeId.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("node id (" + nodeId + ") must match [A-Za-z0-9_.-]{1,64}");
        }
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(bus, "bus");
        // Validates the secret (>= 32 bytes when given), key files, audience, issuer, skew and ttl.
        new TokenSettings(secret, publicKeyFile, jwksFile, tokenAudience, tokenIssuer, tokenClockSkew, tokenKeyReload, tokenTtl);
        if (devLogin && secret == null) {
            throw new IllegalArgumentException("dev login needs an HS256 secret to sign its tokens (--secret-file or env STICKYRING_SECRET)");
        }
        if (devLogin && !insecureDevLoginOnPublicAddress && !isLoopback(host)) {
            throw new IllegalArgumentException("--dev-login lets anyone log in as anyone; refusing it on the non-loopback --listen address ("
                    + host + "). Listen on 127.0.0.1, drop --dev-login, or add --insecure-dev-login-on-public-address");
        }
        Objects.requireNonNull(adminHost, "admin host");
        requireRange("admin port", adminPort, 0, 65535);
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("tls cert (" + tlsCert + ") and tls key (" + tlsKey + ") must be given together");
        }
        requireRange("max frame bytes", maxFrameBytes, 128, 16 << 20);
        requireRange("max body bytes", maxBodyBytes, 1, maxFrameBytes);
        requireRange("max http body bytes", maxHttpBodyBytes, 128, 16 << 20);
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("rate per second (" + ratePerSecond + ") must be > 0");
        }
        requireRange("rate burst", rateBurst, 1, 1_000_000);
        requireRange("max connections", maxConnections, 1, 10_000_000);
        requireRange("max sessions per ip", maxSessionsPerIp, 0, 10_000_000);
        requirePositive("ping interval", pingInterval);
        requirePositive("pong timeout", pongTimeout);
        requirePositive("hello timeout", helloTimeout);
        requireRange("write low watermark", writeLowWatermark, 1024, Integer.MAX_VALUE);
        if (writeHighWatermark <= writeLowWatermark) {
            throw new IllegalArgumentException("write high watermark (" + writeHighWatermark
                    + ") must be > write low watermark (" + writeLowWatermark + ")");
        }
        requirePositive("slow consumer timeout", slowConsumerTimeout);
        requireRange("sync batch", syncBatch, 1, 10_000);
        requirePositive("max poll wait", maxPollWait);
        requireRange("history max limit", historyMaxLimit, 1, 10_000);
        if (drainPeriod.isNegative()) {
            throw new IllegalArgumentException("drain period (" + drainPeriod + ") must be >= 0");
        }
        if (retryHintMin.isNegative() || retryHintMax.compareTo(retryHintMin) < 0) {
            throw new IllegalArgumentException("retry hint range (" + retryHintMin + ".." + retryHintMax + ") must be 0 <= min <= max");
        }
        requireRange("commit max batch", commitMaxBatch, 1, 100_000);
        requireRange("io threads", ioThreads, 0, 1024);
        requireRange("blocking threads", blockingThreads, 1, 1024);
        if (zk != null && (cluster == null || cluster.isBlank())) {
            throw new IllegalArgumentException("cluster name (" + cluster + ") is required with --zk");
        }
        requireRange("weight", weight, 1, 1000);
        if (zk != null && zkSettings == null) {
            zkSettings = ZkSettings.of(zk, cluster);
        }
        Objects.requireNonNull(role, "role");
        if (role != NodeRole.ALL && (zk == null || !store.startsWith("postgresql://") || !bus.startsWith("nats://"))) {
            throw new IllegalArgumentException("role (" + role + ") needs --zk, a postgresql:// store and a nats:// bus (got zk "
                    + zk + ", store " + store.substring(0, Math.min(store.length(), 13)) + "..., bus " + bus.replaceAll("[?].*", "") + ")");
        }
        requirePositive("request timeout", requestTimeout);
        requireRange("max reply bytes", maxReplyBytes, 64 * 1024, 64 << 20);
        if (!(groupsPerMinute > 0)) {
            throw new IllegalArgumentException("groups per minute (" + groupsPerMinute + ") must be > 0");
        }
        requireRange("max groups per user", maxGroupsPerUser, 1, 1_000_000);
        Objects.requireNonNull(trustedProxies, "trusted proxies");
        requireRange("forward window", forwardWindow, 1, OwnerRoutedStore.MAX_WINDOW);
        Objects.requireNonNull(writerProbeDelay, "writer probe delay");
        if (writerProbeDelay.toMillis() < 10 || writerProbeDelay.compareTo(io.stickyring.chat.cluster.ClusterRouting.REQUEST_TIMEOUT) >= 0) {
            throw new IllegalArgumentException("writer probe delay (" + io.stickyring.cli.Durations.format(writerProbeDelay)
                    + ") must be at least 10ms and below the forwarded-append timeout ("
                    + io.stickyring.cli.Durations.format(io.stickyring.chat.cluster.ClusterRouting.REQUEST_TIMEOUT) + ")");
        }
        secret = secret == null ? null : secret.clone();
    }

    /** The token checks of this node (secret, key files, audience, issuer, skew, ttl). */
    public TokenSettings tokenSettings() {
        return new TokenSettings(secret, publicKeyFile, jwksFile, tokenAudience, tokenIssuer, tokenClockSkew, tokenKeyReload, tokenTtl);
    }

    @Override
    public byte[] secret() {
        return secret == null ? null : secret.clone();
    }

    /** Whether {@code host} is a loopback address (127.0.0.0/8, ::1, localhost); unresolvable counts as not. */
    static boolean isLoopback(String host) {
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /**
     * Whether appends go to the owning writer ({@link io.stickyring.chat.cluster.ClusterRouting}):
     * an edge or writer always, a node of role all when it is in a ZooKeeper cluster on PostgreSQL + NATS.
     */
    public boolean routesAppends() {
        return zk != null && store.startsWith("postgresql://") && bus.startsWith("nats://");
    }

    private static void requireRange(String name, long v, long min, long max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " (" + v + ") must be in [" + min + ", " + max + "]");
        }
    }

    private static void requirePositive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " (" + d + ") must be > 0");
        }
    }

    /** Defaults for a node listening on {@code host:port}; tests override single fields with {@link Builder}. */
    public static Builder defaults(String host, int port, String nodeId, String store, byte[] secret) {
        return new Builder(host, port, nodeId, store, secret);
    }

    /** Mutable builder that produces a validated {@link NodeConfig}. */
    public static final class Builder {
        public String host;
        public int port;
        public String nodeId;
        public String advertise;
        public String store;
        public String bus = "local";
        public byte[] secret;
        /** Off unless asked for: dev login lets anyone log in as anyone (demo and tests turn it on). */
        public boolean devLogin;
        public Duration tokenTtl = Duration.ofHours(24);
        public boolean acceptProxyProtocol;
        public Path tlsCert;
        public Path tlsKey;
        public int maxFrameBytes = 64 * 1024;
        public int maxBodyBytes = 16 * 1024;
        public int maxHttpBodyBytes = 64 * 1024;
        public double ratePerSecond = 50;
        public int rateBurst = 100;
        public int maxConnections = 100_000;
        public int maxSessionsPerIp;
        public Duration pingInterval = Duration.ofSeconds(30);
        public Duration pongTimeout = Duration.ofSeconds(15);
        public Duration helloTimeout = Duration.ofSeconds(10);
        public int writeLowWatermark = 32 * 1024;
        public int writeHighWatermark = 128 * 1024;
        public Duration slowConsumerTimeout = Duration.ofSeconds(30);
        public int syncBatch = 256;
        public Duration maxPollWait = Duration.ofSeconds(30);
        public int historyMaxLimit = 500;
        public Duration drainPeriod = Duration.ofSeconds(10);
        public Duration retryHintMin = Duration.ofMillis(500);
        public Duration retryHintMax = Duration.ofMillis(5000);
        public int commitMaxBatch = 512;
        public int ioThreads;
        public int blockingThreads = 8;
        public String zk;
        public String cluster = "default";
        public int weight = 1;
        public String zone = "";
        /** Timeouts, retry and auth for {@code zk}; null means {@link ZkSettings#of} defaults. */
        public ZkSettings zkSettings;
        public Path publicKeyFile;
        public Path jwksFile;
        public String tokenAudience;
        public String tokenIssuer;
        public Duration tokenClockSkew = TokenSettings.DEFAULT_CLOCK_SKEW;
        public Duration tokenKeyReload = TokenSettings.DEFAULT_KEY_RELOAD;
        public boolean insecureDevLoginOnPublicAddress;
        /** Metrics and health listener; loopback and an ephemeral port unless configured. */
        public String adminHost = "127.0.0.1";
        public int adminPort;
        public Path adminTokenFile;
        public Duration requestTimeout = Duration.ofSeconds(10);
        public int maxReplyBytes = 256 * 1024;
        public double groupsPerMinute = 10;
        public int maxGroupsPerUser = 1000;
        /** all (default), edge or writer. */
        public NodeRole role = NodeRole.ALL;
        /** Peers whose PROXY header is accepted (with {@link #acceptProxyProtocol}); loopback by default. */
        public TrustedProxies trustedProxies = TrustedProxies.parse(TrustedProxies.DEFAULT);
        /** Batch requests a node keeps outstanding per writer for the sends it forwards. */
        public int forwardWindow = OwnerRoutedStore.DEFAULT_WINDOW;
        public Duration writerProbeDelay = OwnerRoutedStore.DEFAULT_PROBE_DELAY;

        Builder(String host, int port, String nodeId, String store, byte[] secret) {
            this.host = host;
            this.port = port;
            this.nodeId = nodeId;
            this.store = store;
            this.secret = secret;
        }

        public Builder with(java.util.function.Consumer<Builder> change) {
            change.accept(this);
            return this;
        }

        public NodeConfig build() {
            return new NodeConfig(host, port, nodeId, advertise, store, bus, secret, devLogin, tokenTtl,
                    acceptProxyProtocol, tlsCert, tlsKey, maxFrameBytes, maxBodyBytes, maxHttpBodyBytes,
                    ratePerSecond, rateBurst, maxConnections, maxSessionsPerIp, pingInterval, pongTimeout, helloTimeout,
                    writeLowWatermark, writeHighWatermark, slowConsumerTimeout, syncBatch, maxPollWait, historyMaxLimit,
                    drainPeriod, retryHintMin, retryHintMax, commitMaxBatch, ioThreads, blockingThreads,
                    zk, cluster, weight, zone, zkSettings,
                    publicKeyFile, jwksFile, tokenAudience, tokenIssuer, tokenClockSkew, tokenKeyReload,
                    insecureDevLoginOnPublicAddress, adminHost, adminPort, adminTokenFile,
                    requestTimeout, maxReplyBytes, groupsPerMinute, maxGroupsPerUser, role, trustedProxies, forwardWindow, writerProbeDelay);
        }
    }
}
