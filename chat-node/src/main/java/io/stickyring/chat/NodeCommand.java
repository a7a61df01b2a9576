package io.stickyring.chat;

import io.stickyring.cli.ConfigOption;
import io.stickyring.cli.DurationConverter;
import io.stickyring.cli.HostPort;
import io.stickyring.chat.server.ChatNode;
import io.stickyring.chat.cluster.NodeRole;
import io.stickyring.chat.server.NodeConfig;
import io.stickyring.cli.ZkOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code stickyring node}: runs one chat node until SIGTERM/SIGINT, then drains (DRAINING, wait
 * {@code --drain-period}, close WebSockets with 1012 and a retry hint) and exits. Every flag can
 * also come from {@code --config FILE} (YAML, keys = flag names); flags override the file.
 * Prints "stickyring node ID listening on HOST:PORT" once it serves (scripts and tests wait for it),
 * then "stickyring node ID admin on HOST:PORT" (the metrics and health listener).
 */
@Command(name = "node", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run a chat node (WebSocket + HTTP API). See docs/chat-node.md.")
public final class NodeCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ConfigOption config = new ConfigOption();

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Required. Address to serve HTTP + WebSocket on (port 0 = any free port)")
    String listen;

    @Option(names = "--id", paramLabel = "ID", description = "Required. Node id (unique in the cluster)")
    String id;

    @Option(names = "--advertise", paramLabel = "HOST:PORT", description = "Address load balancers should use (default: --listen)")
    String advertise;

    @Option(names = "--zk", paramLabel = "CONNECT", description = "ZooKeeper connect string; registers the node (default: standalone)")
    String zk;

    @CommandLine.Mixin
    ZkOptions zkOptions = new ZkOptions();

    @Option(names = "--cluster", paramLabel = "NAME", defaultValue = "default", description = "Cluster name under /stickyring (default: ${DEFAULT-VALUE})")
    String cluster;

    @Option(names = "--weight", defaultValue = "1", description = "Relative weight in the LBs' ring, 1..1000; keep weights small integers (default: ${DEFAULT-VALUE})")
    int weight;

    @Option(names = "--zone", defaultValue = "", description = "Zone label")
    String zone;

    @Option(names = "--store", paramLabel = "SPEC", description = "sqlite:PATH or postgresql://HOST[:PORT]/DB[?schema=..&pool=..] (default: sqlite:data/<id>/chat.db)")
    String store;

    @Option(names = "--bus", paramLabel = "SPEC", defaultValue = "local", description = "local (in-process), sqlite (in-process + tail of an sqlite: store shared by node processes on this machine) or nats://HOST:PORT[,...][?prefix=..] (default: ${DEFAULT-VALUE})")
    String bus;

    /** Refused: a secret on the command line is visible to every local user in ps. */
    @Option(names = "--secret", paramLabel = "TEXT", hidden = true)
    String secret;

    @Option(names = "--secret-file", paramLabel = "FILE", description = "HS256 JWT secret (>= 32 bytes) from this file (or env STICKYRING_SECRET)")
    Path secretFile;

    @Option(names = "--dev-login", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Serve POST /api/login: anyone gets a token for any user. Development only; "
                    + "refused on a non-loopback --listen (default: ${DEFAULT-VALUE})")
    boolean devLogin;

    @Option(names = "--token-ttl", converter = DurationConverter.class, defaultValue = "24h", description = "Lifetime of dev-login tokens (default: ${DEFAULT-VALUE})")
    Duration tokenTtl;

    @Option(names = "--accept-proxy-protocol", description = "Accept a PROXY v1/v2 header (from the LB) carrying the real client address")
    boolean acceptProxyProtocol;

    @Option(names = "--trusted-proxies", paramLabel = "CIDR[,CIDR...]", defaultValue = io.stickyring.chat.server.TrustedProxies.DEFAULT,
            description = "Peers (the LBs) allowed to send a PROXY header with --accept-proxy-protocol; anyone else's header is "
                    + "refused and the connection closed (default: ${DEFAULT-VALUE})")
    String trustedProxies;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Certificate chain (PEM) to serve wss/https")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key (PKCS#8 PEM) for --tls-cert")
    Path tlsKey;

    @Option(names = "--max-frame-bytes", defaultValue = "65536", description = "Largest WebSocket message; larger closes with 1009 (default: ${DEFAULT-VALUE})")
    int maxFrameBytes;

    @Option(names = "--max-body-bytes", defaultValue = "16384", description = "Largest message body, UTF-8 bytes (default: ${DEFAULT-VALUE})")
    int maxBodyBytes;

    @Option(names = "--max-http-body-bytes", defaultValue = "65536", description = "Largest HTTP request body (default: ${DEFAULT-VALUE})")
    int maxHttpBodyBytes;

    @Option(names = "--rate", defaultValue = "50", description = "Per-user request rate, per second (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--rate-burst", defaultValue = "100", description = "Per-user burst (default: ${DEFAULT-VALUE})")
    int rateBurst;

    @Option(names = "--max-connections", defaultValue = "100000", description = "Open TCP connections cap (default: ${DEFAULT-VALUE})")
    int maxConnections;

    @Option(names = "--max-sessions-per-ip", defaultValue = "0", description = "WebSocket sessions per client address (the PROXY header's when accepted); 0 = no limit (default: ${DEFAULT-VALUE})")
    int maxSessionsPerIp;

    @Option(names = "--ping-interval", converter = DurationConverter.class, defaultValue = "30s", description = "Ping after this much read silence (default: ${DEFAULT-VALUE})")
    Duration pingInterval;

    @Option(names = "--pong-timeout", converter = DurationConverter.class, defaultValue = "15s", description = "Close if still silent this long after the ping (default: ${DEFAULT-VALUE})")
    Duration pongTimeout;

    @Option(names = "--hello-timeout", converter = DurationConverter.class, defaultValue = "10s", description = "Close (1008) if no hello within this long after the upgrade, an absolute deadline (default: ${DEFAULT-VALUE})")
    Duration helloTimeout;

    @Option(names = "--write-low-watermark", defaultValue = "32768", description = "Outbound buffer low watermark, bytes (default: ${DEFAULT-VALUE})")
    int writeLow;

    @Option(names = "--write-high-watermark", defaultValue = "131072", description = "Outbound buffer high watermark, bytes (default: ${DEFAULT-VALUE})")
    int writeHigh;

    @Option(names = "--slow-consumer-timeout", converter = DurationConverter.class, defaultValue = "30s", description = "Close (1013) a client above the high watermark this long (default: ${DEFAULT-VALUE})")
    Duration slowConsumerTimeout;

    @Option(names = "--sync-batch", defaultValue = "256", description = "Messages per replay batch (default: ${DEFAULT-VALUE})")
    int syncBatch;

    @Option(names = "--max-poll-wait", converter = DurationConverter.class, defaultValue = "30s", description = "Longest long-poll wait (default: ${DEFAULT-VALUE})")
    Duration maxPollWait;

    @Option(names = "--history-max-limit", defaultValue = "500", description = "Largest history page (default: ${DEFAULT-VALUE})")
    int historyMaxLimit;

    @Option(names = "--drain-period", converter = DurationConverter.class, defaultValue = "10s", description = "On SIGTERM: DRAINING this long before closing sessions (default: ${DEFAULT-VALUE})")
    Duration drainPeriod;

    @Option(names = "--retry-hint-min", converter = DurationConverter.class, defaultValue = "500ms", description = "Smallest retry hint in 1012 closes (default: ${DEFAULT-VALUE})")
    Duration retryHintMin;

    @Option(names = "--retry-hint-max", converter = DurationConverter.class, defaultValue = "5s", description = "Largest retry hint in 1012 closes (default: ${DEFAULT-VALUE})")
    Duration retryHintMax;

    @Option(names = "--commit-max-batch", defaultValue = "512", description = "Group commit: most writes per commit; 1 = one fsync per write (default: ${DEFAULT-VALUE})")
    int commitMaxBatch;

    @Option(names = "--io-threads", defaultValue = "0", description = "Netty event loops (0 = 2 x cores)")
    int ioThreads;

    @Option(names = "--blocking-threads", defaultValue = "8", description = "Threads for store reads (default: ${DEFAULT-VALUE})")
    int blockingThreads;

    @Option(names = "--public-key", paramLabel = "PEM", description = "Verify RS256/ES256/EdDSA JWTs with the public key(s) in this PEM file (re-read when it changes)")
    Path publicKey;

    @Option(names = "--jwks", paramLabel = "FILE", description = "Verify RS256/ES256/EdDSA JWTs with the keys of this JWKS file (re-read when it changes)")
    Path jwks;

    @Option(names = "--token-audience", paramLabel = "AUD", description = "Require this JWT 'aud' (default: not checked)")
    String tokenAudience;

    @Option(names = "--token-issuer", paramLabel = "ISS", description = "Require this JWT 'iss' (default: not checked)")
    String tokenIssuer;

    @Option(names = "--token-clock-skew", converter = DurationConverter.class, defaultValue = "30s", description = "Leeway on exp/nbf/iat, at most 5m (default: ${DEFAULT-VALUE})")
    Duration tokenClockSkew;

    @Option(names = "--token-key-reload", converter = DurationConverter.class, defaultValue = "5s", description = "How often --public-key/--jwks are checked for changes (default: ${DEFAULT-VALUE})")
    Duration tokenKeyReload;

    @Option(names = "--insecure-dev-login-on-public-address", description = "Allow --dev-login on a non-loopback --listen address (anyone who reaches it can log in as anyone)")
    boolean insecureDevLoginOnPublicAddress;

    @Option(names = "--admin", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:0", description = "Listener for /metrics and /healthz; never the public port (default: ${DEFAULT-VALUE}, an ephemeral loopback port)")
    String admin;

    @Option(names = "--admin-token-file", paramLabel = "FILE", description = "Bearer token required on the admin listener's /metrics (default: none)")
    Path adminTokenFile;

    @Option(names = "--request-timeout", converter = DurationConverter.class, defaultValue = "10s", description = "Absolute deadline for a whole HTTP request (head and body) once its first byte (or the connection) arrived; later closes (default: ${DEFAULT-VALUE})")
    Duration requestTimeout;

    @Option(names = "--max-reply-bytes", defaultValue = "262144", description = "Largest history or poll answer, bytes; longer pages are cut and say more=true (default: ${DEFAULT-VALUE})")
    int maxReplyBytes;

    @Option(names = "--groups-per-minute", defaultValue = "10", description = "Per-user group creations per minute, also the burst (default: ${DEFAULT-VALUE})")
    double groupsPerMinute;

    @Option(names = "--max-groups-per-user", defaultValue = "1000", description = "Groups one user may belong to; creating a group that would exceed it for any member is refused (default: ${DEFAULT-VALUE})")
    int maxGroupsPerUser;

    @Option(names = "--role", paramLabel = "ROLE", defaultValue = "all", description = "all (one server type), edge (clients, reads; forwards sends) or writer (owns sequencing and commits; never given clients); edge and writer need --zk, postgresql:// and nats:// (default: ${DEFAULT-VALUE})")
    String role;

    @Option(names = "--forward-window", defaultValue = "4", description = "Batch requests kept outstanding per writer for the sends this node forwards (edge, or role all in a cluster); sends made while all are out wait and leave together in the next one, 1..1024 (default: ${DEFAULT-VALUE})")
    int forwardWindow;

    @Option(names = "--writer-probe-delay", converter = DurationConverter.class, defaultValue = "250ms", description = "A node forwarding sends probes a writer whose batch has waited this long; NATS 'no responders' to the probe (the writer's process is gone) moves its outstanding and queued sends to the next writer instead of failing them after the 5 s timeout; 10ms up to below 5s (default: ${DEFAULT-VALUE})")
    Duration writerProbeDelay;

    @Override
    public Integer call() throws Exception {
        NodeCommand self = config.resolve(NodeCommand::new);
        if (self != this) {
            return self.call();
        }
        NodeConfig config;
        try {
            config = toConfig();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        ChatNode node;
        try {
            node = ChatNode.start(config);
        } catch (IllegalArgumentException e) {
            // e.g. a --public-key/--jwks file that does not parse or an empty --admin-token-file
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.shutdown(config.drainPeriod());
            stopped.countDown();
        }, "node-shutdown"));
        System.out.println("stickyring node " + config.nodeId() + " listening on "
                + node.address().getHostString() + ":" + node.address().getPort());
        System.out.println("stickyring node " + config.nodeId() + " admin on "
                + node.adminAddress().getHostString() + ":" + node.adminAddress().getPort() + " (/metrics, /healthz)");
        System.out.flush();
        stopped.await();
        return 0;
    }

    NodeConfig toConfig() throws java.io.IOException {
        // Checked here rather than by picocli, so the values may also come from --config.
        if (listen == null) {
            throw new IllegalArgumentException("missing --listen HOST:PORT (flag or 'listen' in --config)");
        }
        if (id == null) {
            throw new IllegalArgumentException("missing --id ID (flag or 'id' in --config)");
        }
        if (secret != null) {
            throw new IllegalArgumentException("--secret is not accepted (the command line is visible in ps): "
                    + "use --secret-file FILE or env STICKYRING_SECRET");
        }
        HostPort hp = HostPort.parse("--listen", listen);
        HostPort adminHp = HostPort.parse("--admin", admin);
        if (advertise != null) {
            HostPort.parse("--advertise", advertise);
        }
        byte[] key = secretBytes();
        String storeSpec = store != null ? store : "sqlite:" + Path.of("data", id, "chat.db");
        return NodeConfig.defaults(hp.host(), hp.port(), id, storeSpec, key).with(b -> {
            b.advertise = advertise;
            b.bus = bus;
            b.devLogin = devLogin;
            b.tokenTtl = tokenTtl;
            b.acceptProxyProtocol = acceptProxyProtocol;
            b.trustedProxies = io.stickyring.chat.server.TrustedProxies.parse(trustedProxies);
            b.tlsCert = tlsCert;
            b.tlsKey = tlsKey;
            b.maxFrameBytes = maxFrameBytes;
            b.maxBodyBytes = maxBodyBytes;
            b.maxHttpBodyBytes = maxHttpBodyBytes;
            b.ratePerSecond = rate;
            b.rateBurst = rateBurst;
            b.maxConnections = maxConnections;
            b.maxSessionsPerIp = maxSessionsPerIp;
            b.pingInterval = pingInterval;
            b.pongTimeout = pongTimeout;
            b.helloTimeout = helloTimeout;
            b.writeLowWatermark = writeLow;
            b.writeHighWatermark = writeHigh;
            b.slowConsumerTimeout = slowConsumerTimeout;
            b.syncBatch = syncBatch;
            b.maxPollWait = maxPollWait;
            b.historyMaxLimit = historyMaxLimit;
            b.drainPeriod = drainPeriod;
            b.retryHintMin = retryHintMin;
            b.retryHintMax = retryHintMax;
            b.commitMaxBatch = commitMaxBatch;
            b.ioThreads = ioThreads;
            b.blockingThreads = blockingThreads;
            b.zk = zk;
            b.cluster = cluster;
            if (zk != null) {
                b.zkSettings = zkOptions.toSettings(zk, cluster);
            }
            b.weight = weight;
            b.zone = zone;
            b.publicKeyFile = publicKey;
            b.jwksFile = jwks;
            b.tokenAudience = tokenAudience;
            b.tokenIssuer = tokenIssuer;
            b.tokenClockSkew = tokenClockSkew;
            b.tokenKeyReload = tokenKeyReload;
            b.insecureDevLoginOnPublicAddress = insecureDevLoginOnPublicAddress;
            b.adminHost = adminHp.host();
            b.adminPort = adminHp.port();
            b.adminTokenFile = adminTokenFile;
            b.requestTimeout = requestTimeout;
            b.maxReplyBytes = maxReplyBytes;
            b.groupsPerMinute = groupsPerMinute;
            b.maxGroupsPerUser = maxGroupsPerUser;
            b.role = NodeRole.parse(role);
            b.forwardWindow = forwardWindow;
            b.writerProbeDelay = writerProbeDelay;
        }).build();
    }

    /** The HS256 secret: --secret-file, else env STICKYRING_SECRET, else (dev login only) random; null = none. */
    private byte[] secretBytes() throws java.io.IOException {
        if (secretFile != null) {
            try {
                return Files.readString(secretFile).trim().getBytes(StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("--secret-file (" + secretFile + ") cannot be read: " + e.getMessage());
            }
        }
        String env = System.getenv("STICKYRING_SECRET");
        if (env != null && !env.isEmpty()) {
            return env.getBytes(StandardCharsets.UTF_8);
        }
        if (!devLogin) {
            return null;
        }
        System.err.println("stickyring node: no --secret-file or STICKYRING_SECRET; dev login signs with a random secret (tokens work on this process only)");
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return random;
    }
}
