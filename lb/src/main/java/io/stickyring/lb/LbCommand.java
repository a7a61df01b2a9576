package io.stickyring.lb;

import io.stickyring.lb.config.Backends;
import io.stickyring.cli.ConfigOption;
import io.stickyring.cli.Durations;
import io.stickyring.cli.HostPort;
import io.stickyring.lb.config.HealthCheckMode;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.config.ProxyProtocolMode;
import io.stickyring.cli.TransportKind;
import io.stickyring.lb.route.HashFactories;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.source.Membership;
import io.stickyring.membership.Member;
import io.stickyring.ring.KeyMode;
import io.stickyring.cli.StartupException;
import io.stickyring.cli.ZkOptions;
import io.stickyring.membership.zk.ZkSettings;
import io.stickyring.lb.nft.NftConfig;
import io.stickyring.lb.nft.NftDataPlane;
import java.net.InetAddress;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code stickyring lb}: the picocli adapter that turns flags (and an optional YAML file whose keys
 * are the flag names without dashes) into a validated {@link LbConfig}, then runs a
 * {@link LoadBalancer} until SIGTERM/SIGINT, shutting down gracefully.
 *
 * <p>Invariant: flags override the file; an unknown key or bad value is refused before anything
 * binds, with the key and value in the message.
 */
@Command(name = "lb", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the client-IP-sticky TCP load balancer.",
                "Durations: 250ms, 2s, 5m, 1h, 1m30s; 0 turns an optional timeout or limit off. See docs/lb.md."})
public final class LbCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOption config = new ConfigOption();

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Proxy listener (default 0.0.0.0:8080); repeat for several addresses, e.g. IPv4 and [::]:PORT.")
    List<String> listen;
    @Option(names = "--admin", paramLabel = "HOST:PORT", description = "Admin HTTP listener (default 127.0.0.1:9090); non-loopback needs --admin-token.")
    String admin;
    @Option(names = "--admin-token", paramLabel = "TOKEN", description = "Bearer token required by the admin API (except /healthz, /readyz).")
    String adminToken;

    @Option(names = "--zk", paramLabel = "CONNECT", description = "ZooKeeper connect string: membership from /stickyring/<cluster>/members.")
    String zk;
    @Option(names = "--cluster", paramLabel = "NAME", description = "Cluster name under /stickyring (default default).")
    String cluster;
    @Mixin
    ZkOptions zkOptions;

    @Option(names = "--backend", paramLabel = "ID=HOST:PORT[/WEIGHT]", description = "Static member (repeatable); exclusive with --zk.")
    List<String> backends;

    @Option(names = "--algorithm", paramLabel = "ring|maglev|rendezvous|multiprobe|dxhash", description = "Consistent-hash algorithm (default ring).")
    String algorithm;
    @Option(names = "--key-mode", paramLabel = "address|prefix|address-port", description = "What of the client address is hashed (default address).")
    String keyMode;
    @Option(names = "--prefix-v4", paramLabel = "BITS", description = "IPv4 prefix length in prefix mode (default 24).")
    Integer prefixV4;
    @Option(names = "--prefix-v6", paramLabel = "BITS", description = "IPv6 prefix length in prefix mode (default 64).")
    Integer prefixV6;
    @Option(names = "--balance-factor", paramLabel = "C", description = "Bounded loads: no member above ceil(C*(total+1)*w/W) connections; 0 = off (default).")
    Double balanceFactor;

    @Option(names = "--proxy-protocol", paramLabel = "none|v1|v2", description = "PROXY header sent to members (default none).")
    String proxyProtocol;
    @Option(names = "--accept-proxy-protocol", arity = "0..1", description = "Require a PROXY v1/v2 header from an upstream balancer and hash its client address.")
    Boolean acceptProxyProtocol;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", description = "Member connect timeout (default 2s).")
    String connectTimeout;
    @Option(names = "--connect-tries", paramLabel = "N", description = "Members tried per connection, in the key's preference order (default 3).")
    Integer connectTries;
    @Option(names = "--down-backoff-min", paramLabel = "DURATION", description = "Passive health: first down period after a failed connect (default 1s).")
    String downBackoffMin;
    @Option(names = "--down-backoff-max", paramLabel = "DURATION", description = "Passive health: longest down period (default 30s).")
    String downBackoffMax;

    @Option(names = "--health-check", paramLabel = "none|tcp|http", description = "Active health check (default none).")
    String healthCheck;
    @Option(names = "--health-path", paramLabel = "PATH", description = "HTTP health check path (default /healthz).")
    String healthPath;
    @Option(names = "--health-interval", paramLabel = "DURATION", description = "Active check interval (default 2s).")
    String healthInterval;
    @Option(names = "--health-timeout", paramLabel = "DURATION", description = "Active check timeout (default 1s).")
    String healthTimeout;
    @Option(names = "--health-rise", paramLabel = "N", description = "Passing checks to mark a member up (default 2).")
    Integer healthRise;
    @Option(names = "--health-fall", paramLabel = "N", description = "Failing checks to mark a member down (default 3).")
    Integer healthFall;

    @Option(names = "--keep-connections-on-down", arity = "0..1", description = "Keep a member's connections when it is marked down or leaves the view (default: close them).")
    Boolean keepConnectionsOnDown;
    @Option(names = "--drain-timeout", paramLabel = "DURATION", description = "Close a DRAINING member's connections after this (default 5m; 0 = wait forever).")
    String drainTimeout;
    @Option(names = "--max-connections-per-member", paramLabel = "N", description = "When a member holds N, new connections fall through to the key's next member; 0 = off (default).")
    Integer maxConnectionsPerMember;
    @Option(names = "--slow-start", paramLabel = "DURATION", description = "A returning member takes its keys back over this period; 0 = off (default).")
    String slowStart;

    @Option(names = "--max-connections", paramLabel = "N", description = "Open client connections in total (default 100000).")
    Integer maxConnections;
    @Option(names = "--max-connections-per-ip", paramLabel = "N", description = "Open connections per client IP; 0 = off (default).")
    Integer maxConnectionsPerIp;
    @Option(names = "--accept-rate-per-ip", paramLabel = "PER_SECOND", description = "New connections per second per client IP (burst = max(1, rate)); 0 = off (default).")
    Double acceptRatePerIp;
    @Option(names = "--client-idle-timeout", paramLabel = "DURATION", description = "Close when the client side is idle this long; 0 = off (default).")
    String clientIdleTimeout;
    @Option(names = "--member-idle-timeout", paramLabel = "DURATION", description = "Close when the member side is idle this long; 0 = off (default).")
    String memberIdleTimeout;
    @Option(names = "--tcp-user-timeout", paramLabel = "DURATION", description = "TCP_USER_TIMEOUT on both sides (epoll; default 30s; 0 = kernel default).")
    String tcpUserTimeout;
    @Option(names = "--keepalive-idle", paramLabel = "DURATION", description = "TCP keepalive idle time (default 60s).")
    String keepaliveIdle;
    @Option(names = "--keepalive-interval", paramLabel = "DURATION", description = "TCP keepalive probe interval (default 10s).")
    String keepaliveInterval;
    @Option(names = "--keepalive-count", paramLabel = "N", description = "TCP keepalive probes before the peer is dead (default 6).")
    Integer keepaliveCount;

    @Option(names = "--backlog", paramLabel = "N", description = "Listen backlog (default 4096).")
    Integer backlog;
    @Option(names = "--accept-threads", paramLabel = "N", description = "Accept threads (default 0: each I/O loop accepts on its own SO_REUSEPORT socket, no hand-off; NIO uses one accept thread). N > 0: N accept threads hand connections to the I/O loops; >1 binds N SO_REUSEPORT sockets on epoll/io_uring.")
    Integer acceptThreads;
    @Option(names = "--io-threads", paramLabel = "N", description = "I/O event loop threads (default: cores).")
    Integer ioThreads;
    @Option(names = "--transport", paramLabel = "epoll|io_uring|nio", description = "I/O transport (default epoll where available, else nio; io_uring is refused where the kernel lacks it).")
    String transport;
    @Option(names = "--proxy-engine", paramLabel = "auto|channels|direct", description = "How the proxy relays bytes: direct (epoll only: the sockets as bare event-loop handles and a state machine per connection, less CPU and memory per connection; refuses --accept-proxy-protocol, --accept-threads > 0, other transports), channels (a Netty channel and pipeline per socket, every option) or auto (default: direct where it carries the configuration, else channels; logged at start). See docs/lb.md.")
    String proxyEngine;
    @Option(names = "--shutdown-grace", paramLabel = "DURATION", description = "On SIGTERM, wait this long for connections to end (default 30s).")
    String shutdownGrace;
    @Option(names = "--dataplane", paramLabel = "proxy|nft", description = "Who forwards: the user-space proxy (default) or the kernel (nftables DNAT + conntrack; --listen is the VIP). See docs/lb.md.")
    String dataplane;
    @Option(names = "--nft-table", paramLabel = "NAME", description = "nft mode: the nftables table this LB owns (default stickyring).")
    String nftTable;
    @Option(names = "--nft-slots", paramLabel = "M", description = "nft mode: jhash slots (default 65537, max 1048576).")
    Integer nftSlots;
    @Option(names = "--nft-snat", arity = "0..1", description = "nft mode: masquerade forwarded flows (no return route through the LB needed; hides the client address).")
    Boolean nftSnat;
    @Option(names = "--nft-counters", arity = "0..1", fallbackValue = "flows", paramLabel = "flows|packets|off", description = "nft mode: per-member counting in the kernel: flows (default; new flows, once per flow), packets (also packets and bytes, a rule on every forwarded packet) or off.")
    String nftCounters;
    @Option(names = "--nft-remove", description = "nft mode: delete the table (breaks every flow through it) and exit.")
    boolean nftRemove;
    @Option(names = "--close-log-sample", paramLabel = "FRACTION", description = "Fraction of connection-close log lines kept, 0..1 (default 1).")
    Double closeLogSample;

    @Override
    public Integer call() throws Exception {
        Launched l = launch();
        if (l.lb() == null) {
            return l.exitCode();
        }
        LoadBalancer lb = l.lb();
        installReloadSignal(lb); // also without --config, so a habitual SIGHUP does not stop the LB
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            lb.shutdown(l.config().shutdownGrace());
            stopped.countDown();
        }, "lb-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stopped.await();
        return 0;
    }

    /**
     * SIGHUP re-reads {@code --config} (flags still win) and applies what can change live; see
     * {@link #reload}. Without {@code --config} it only logs, instead of the JVM's default of exiting.
     */
    @SuppressWarnings("restriction")
    private void installReloadSignal(LoadBalancer lb) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> reload(lb));
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("stickyring lb: SIGHUP reload unavailable: " + e.getMessage());
        }
    }

    /**
     * Reloads: reads the config file again, merges the command-line flags over it, validates, and
     * hands the result to {@link LoadBalancer#reload}. A bad file or a change that needs a restart
     * is refused with one line on stderr and the running config stays; nothing is closed either way.
     *
     * @return the keys that changed, empty when the reload was refused or changed nothing
     */
    List<String> reload(LoadBalancer lb) {
        PrintWriter err = spec.commandLine().getErr();
        if (config.file() == null) {
            err.println("stickyring lb: reload ignored: started without --config, nothing to read again");
            err.flush();
            return List.of();
        }
        try {
            LbConfig next = resolve().toConfig();
            List<String> changed = lb.reload(next);
            PrintWriter out = spec.commandLine().getOut();
            out.println("stickyring lb: reloaded " + config.file() + (changed.isEmpty() ? ": nothing changed" : ": " + String.join(", ", changed)));
            out.flush();
            return changed;
        } catch (IllegalArgumentException | ParameterException e) {
            err.println("stickyring lb: reload refused, running config kept: " + e.getMessage());
            err.flush();
            return List.of();
        }
    }

    /** A started balancer and its config, or (lb null) the exit code of a refused start. */
    record Launched(LoadBalancer lb, LbConfig config, int exitCode) {
    }

    /** Resolves flags and file, validates, starts the balancer and prints where it listens. */
    Launched launch() {
        PrintWriter err = spec.commandLine().getErr();
        if (nftRemove) {
            return removeTable(err);
        }
        LbConfig cfg;
        ZkSettings zkSettings = null;
        LbCommand resolved;
        try {
            resolved = resolve();
            cfg = resolved.toConfig();
            if (cfg.usesZooKeeper()) {
                // validates the connect string, cluster name and --zk-* session/retry/auth options
                zkSettings = resolved.zkOptions.toSettings(cfg.zk(), cfg.cluster());
            }
        } catch (IllegalArgumentException | ParameterException e) {
            err.println("stickyring lb: invalid configuration: " + e.getMessage());
            err.flush();
            return new Launched(null, null, 2);
        }
        NftConfig nft;
        try {
            nft = resolved.nftConfig(cfg);
        } catch (IllegalArgumentException e) {
            err.println("stickyring lb: invalid configuration: " + e.getMessage());
            err.flush();
            return new Launched(null, null, 2);
        }
        NftDataPlane dataPlane = null;
        if (nft != null) {
            String missing = NftDataPlane.unavailableReason();
            if (missing != null) {
                err.println("stickyring lb: --dataplane nft unavailable: " + StartupException.oneLine(missing));
                err.flush();
                return new Launched(null, cfg, 1);
            }
            try {
                dataPlane = NftDataPlane.start(nft);
            } catch (Exception e) {
                err.println("stickyring lb: cannot set up the nft table " + nft.family() + " " + nft.table() + ": "
                        + StartupException.reason(e));
                err.flush();
                return new Launched(null, cfg, 1);
            }
        }
        LoadBalancer lb;
        try {
            Membership membership = zkSettings == null ? Membership.of(cfg) : Membership.zooKeeper(zkSettings);
            lb = LoadBalancer.start(cfg, membership, HashFactories.defaults(),
                    KeyFunctions.of(cfg.keyMode(), cfg.prefixV4(), cfg.prefixV6()), dataPlane);
        } catch (Exception e) {
            if (dataPlane != null) {
                dataPlane.close(); // the table stays in the kernel as it was
            }
            // typically a listener address already in use or not local: one line naming the flag
            int code = e instanceof StartupException s ? s.exitCode() : StartupException.ENVIRONMENT;
            err.println("stickyring lb: cannot start: " + StartupException.reason(e));
            err.flush();
            if (Boolean.getBoolean("stickyring.debug")) {
                e.printStackTrace(err);
            }
            return new Launched(null, cfg, code);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (dataPlane != null) {
            out.println("stickyring lb: kernel data plane (nft table " + nft.family() + " " + nft.table() + ", "
                    + nft.slots() + " slots, seed 0x" + String.format("%08x", dataPlane.seed()) + ") for "
                    + cfg.listen() + ", admin on http://"
                    + new HostPort(lb.adminAddress().getHostString(), lb.adminAddress().getPort()) + "/");
            out.flush();
            return new Launched(lb, cfg, 0);
        }
        out.println("stickyring lb: proxy on " + String.join(", ", lb.proxyAddresses().stream()
                        .map(a -> new HostPort(a.getHostString(), a.getPort()).toString()).toList())
                + " (" + lb.transportName() + "), admin on http://"
                + new HostPort(lb.adminAddress().getHostString(), lb.adminAddress().getPort()) + "/");
        out.flush();
        return new Launched(lb, cfg, 0);
    }

    /** {@code --nft-remove}: deletes the table named by --nft-table in the family of the --listen address. */
    private Launched removeTable(PrintWriter err) {
        NftConfig nft;
        try {
            if (dataplane == null || !dataplane.equalsIgnoreCase("nft")) {
                throw new IllegalArgumentException("--nft-remove needs --dataplane nft");
            }
            if (listen == null) {
                throw new IllegalArgumentException("--nft-remove needs --listen VIP:PORT (its family picks ip or ip6)");
            }
            if (listen.size() != 1) {
                throw new IllegalArgumentException("--nft-remove takes one --listen VIP:PORT, not " + listen.size());
            }
            HostPort l = HostPort.parse("--listen", listen.get(0));
            nft = new NftConfig(nftTable == null ? NftConfig.DEFAULT_TABLE : nftTable, KeyFunctions.parseLiteral(l.host()),
                    l.port(), NftConfig.DEFAULT_SLOTS, false);
        } catch (IllegalArgumentException e) {
            err.println("stickyring lb: invalid configuration: " + e.getMessage());
            err.flush();
            return new Launched(null, null, 2);
        }
        try {
            NftDataPlane.remove(nft);
        } catch (Exception e) {
            err.println("stickyring lb: cannot remove nft table " + nft.family() + " " + nft.table() + ": " + e.getMessage());
            err.flush();
            return new Launched(null, null, 1);
        }
        spec.commandLine().getOut().println("stickyring lb: removed nft table " + nft.family() + " " + nft.table());
        spec.commandLine().getOut().flush();
        return new Launched(null, null, 0);
    }

    /**
     * The nft data plane settings for {@code --dataplane nft}, or null in proxy mode; refuses the
     * proxy-only options that the kernel path cannot honour, naming them.
     */
    NftConfig nftConfig(LbConfig cfg) {
        String mode = dataplane == null ? "proxy" : dataplane.toLowerCase(Locale.ROOT);
        if (mode.equals("proxy")) {
            if (nftTable != null || nftSlots != null || nftSnat != null || nftCounters != null || nftRemove) {
                throw new IllegalArgumentException("--nft-* options need --dataplane nft");
            }
            return null;
        }
        if (!mode.equals("nft")) {
            throw new IllegalArgumentException("dataplane (" + dataplane + ") must be proxy or nft");
        }
        String unsupported = NftConfig.proxyOnlySettings(cfg);
        if (unsupported != null) {
            throw new IllegalArgumentException(unsupported);
        }
        if (!cfg.extraListens().isEmpty()) {
            throw new IllegalArgumentException("listen is given " + cfg.listens().size() + " times: --dataplane nft serves"
                    + " one VIP:PORT per LB (run one LB per VIP, each with its own --nft-table)");
        }
        InetAddress vip = KeyFunctions.parseLiteral(cfg.listen().host());
        return new NftConfig(nftTable == null ? NftConfig.DEFAULT_TABLE : nftTable, vip, cfg.listen().port(),
                nftSlots == null ? NftConfig.DEFAULT_SLOTS : nftSlots, nftSnat != null && nftSnat,
                nftCounters == null ? NftConfig.Counters.FLOWS : NftConfig.Counters.parse(nftCounters));
    }

    /** This command's values with the YAML file (if any) underneath; flags win (cli's ConfigFile). */
    LbCommand resolve() {
        return config.resolve(LbCommand::new);
    }

    LbConfig toConfig() {
        LbConfig.Builder b = LbConfig.builder();
        if (listen != null && !listen.isEmpty()) {
            b.listen = HostPort.parse("--listen", listen.get(0));
            List<HostPort> more = new ArrayList<>();
            for (String l : listen.subList(1, listen.size())) {
                more.add(HostPort.parse("--listen", l));
            }
            b.extraListens = more;
        }
        if (admin != null) b.admin = HostPort.parse("--admin", admin);
        b.adminToken = adminToken;
        b.zk = zk;
        if (cluster != null) b.cluster = cluster;
        if (backends != null) {
            List<Member> ms = new ArrayList<>();
            for (String s : backends) {
                ms.add(Backends.requireResolvable(Backends.parse(s), s));
            }
            b.backends = ms;
        }
        if (algorithm != null) b.algorithm = algorithm.toLowerCase(Locale.ROOT);
        if (keyMode != null) b.keyMode = named("key-mode", keyMode, KeyMode::fromName);
        if (prefixV4 != null) b.prefixV4 = prefixV4;
        if (prefixV6 != null) b.prefixV6 = prefixV6;
        if (balanceFactor != null) b.balanceFactor = balanceFactor;
        if (proxyProtocol != null) b.proxyProtocol = named("proxy-protocol", proxyProtocol, s -> ProxyProtocolMode.valueOf(s.toUpperCase(Locale.ROOT)));
        if (acceptProxyProtocol != null) b.acceptProxyProtocol = acceptProxyProtocol;
        if (connectTimeout != null) b.connectTimeout = duration("connect-timeout", connectTimeout);
        if (connectTries != null) b.connectTries = connectTries;
        if (downBackoffMin != null) b.downBackoffMin = duration("down-backoff-min", downBackoffMin);
        if (downBackoffMax != null) b.downBackoffMax = duration("down-backoff-max", downBackoffMax);
        if (healthCheck == null && dataplane != null && dataplane.equalsIgnoreCase("nft")) {
            b.healthCheck = HealthCheckMode.TCP; // the kernel path sees no connect failures: active checks are the only signal
        }
        if (healthCheck != null) b.healthCheck = named("health-check", healthCheck, s -> HealthCheckMode.valueOf(s.toUpperCase(Locale.ROOT)));
        if (healthPath != null) b.healthPath = healthPath;
        if (healthInterval != null) b.healthInterval = duration("health-interval", healthInterval);
        if (healthTimeout != null) b.healthTimeout = duration("health-timeout", healthTimeout);
        if (healthRise != null) b.healthRise = healthRise;
        if (healthFall != null) b.healthFall = healthFall;
        if (keepConnectionsOnDown != null) b.keepConnectionsOnDown = keepConnectionsOnDown;
        if (drainTimeout != null) b.drainTimeout = duration("drain-timeout", drainTimeout);
        if (maxConnectionsPerMember != null) b.maxConnectionsPerMember = maxConnectionsPerMember;
        if (slowStart != null) b.slowStart = duration("slow-start", slowStart);
        if (maxConnections != null) b.maxConnections = maxConnections;
        if (maxConnectionsPerIp != null) b.maxConnectionsPerIp = maxConnectionsPerIp;
        if (acceptRatePerIp != null) b.acceptRatePerIp = acceptRatePerIp;
        if (clientIdleTimeout != null) b.clientIdleTimeout = duration("client-idle-timeout", clientIdleTimeout);
        if (memberIdleTimeout != null) b.memberIdleTimeout = duration("member-idle-timeout", memberIdleTimeout);
        if (tcpUserTimeout != null) b.tcpUserTimeout = duration("tcp-user-timeout", tcpUserTimeout);
        if (keepaliveIdle != null) b.keepaliveIdle = duration("keepalive-idle", keepaliveIdle);
        if (keepaliveInterval != null) b.keepaliveInterval = duration("keepalive-interval", keepaliveInterval);
        if (keepaliveCount != null) b.keepaliveCount = keepaliveCount;
        if (backlog != null) b.backlog = backlog;
        if (acceptThreads != null) b.acceptThreads = acceptThreads;
        if (ioThreads != null) b.ioThreads = ioThreads;
        if (transport != null) b.transport = TransportKind.parse(transport);
        if (proxyEngine != null) b.proxyEngine = io.stickyring.lb.config.ProxyEngine.parse(proxyEngine);
        if (shutdownGrace != null) b.shutdownGrace = duration("shutdown-grace", shutdownGrace);
        if (closeLogSample != null) b.closeLogSample = closeLogSample;
        return b.build();
    }

    private static Duration duration(String key, String value) {
        return named(key, value, Durations::parse);
    }

    private static <T> T named(String key, String value, java.util.function.Function<String, T> parse) {
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " (" + value + "): " + e.getMessage(), e);
        }
    }
}
