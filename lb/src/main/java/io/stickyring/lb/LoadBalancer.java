package io.stickyring.lb;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.util.concurrent.EventExecutor;
import io.stickyring.lb.admin.AdminApi;
import io.stickyring.lb.admin.AdminInitializer;
import io.stickyring.lb.config.HealthCheckMode;
import io.stickyring.cli.HostPort;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.health.HealthChecker;
import io.stickyring.lb.metrics.LbMetrics;
import io.stickyring.lb.nft.NftConfig;
import io.stickyring.lb.nft.NftDataPlane;
import io.stickyring.lb.proxy.CloseLog;
import io.stickyring.lb.proxy.ConnectionLimiter;
import io.stickyring.lb.proxy.ProxyConnection;
import io.stickyring.lb.proxy.MemberKeepalive;
import io.stickyring.lb.proxy.ProxyContext;
import io.stickyring.lb.proxy.ProxyInitializer;
import io.stickyring.cli.NettyTransport;
import io.stickyring.lb.route.CloseReason;
import io.stickyring.lb.route.HashFactory;
import io.stickyring.lb.route.KeyFunction;
import io.stickyring.lb.route.Router;
import io.stickyring.lb.source.Membership;
import io.stickyring.membership.MembershipView;
import io.stickyring.cli.StartupException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import io.stickyring.membership.MembershipSource;
import io.stickyring.membership.StaticMembershipSource;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running load balancer: the proxy listener(s), the admin listener, the router fed by a
 * {@link Membership} source, health checks and housekeeping. {@code main}-style wiring only; behaviour
 * lives in the router and handlers.
 *
 * <p>Invariant: after {@link #start} returns, the initial view is applied and both listeners are
 * bound; {@link #close} stops accepting first, lets connections finish for up to the shutdown grace,
 * then closes the rest (reason {@code shutdown}) and releases every thread.
 */
public final class LoadBalancer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LoadBalancer.class);

    private final LbConfig config;
    /** The config in force: {@link #config} plus reloads (read by {@link #reload} only). */
    private LbConfig current;
    private final Membership membership;
    private final NettyTransport transport;
    private final EventLoopGroup acceptGroup;
    private final EventLoopGroup ioGroup;
    private final EventLoopGroup adminGroup;
    private final ScheduledExecutorService control;
    private final ExecutorService blocking;
    /** How long start() waits for the first membership view before binding anyway (not ready until it comes). */
    static final Duration INITIAL_VIEW_WAIT = Duration.ofSeconds(10);

    /**
     * Per-direction buffering bound: a channel stops being writable above 256 KiB queued and becomes
     * writable again below 64 KiB, which toggles the peer's autoRead (see FrontendHandler).
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(64 * 1024, 256 * 1024);

    /**
     * One receive-buffer sizing policy for every proxied channel: Netty's default makes an
     * {@code AdaptiveRecvByteBufAllocator} per channel (32 bytes each, kept for the channel's life: 64
     * per idle connection). The policy object is stateless (the per-channel state is the handle a
     * channel makes from it on its first read); 16 reads per readiness event, as Netty sets by default
     * for stream channels.
     */
    static final RecvByteBufAllocator RECV_ALLOCATOR = new AdaptiveRecvByteBufAllocator().maxMessagesPerRead(16);

    private final LbMetrics metrics = new LbMetrics();
    private final Router router;
    private final ProxyContext proxy;
    private final HealthChecker health;
    private final ProxyInitializer initializer;
    private final List<Channel> listeners = new ArrayList<>();
    private final List<io.stickyring.lb.proxy.DirectProxy.Listener> directListeners = new ArrayList<>();
    /** The proxy engine in effect: {@code --proxy-engine}, with auto resolved (see {@link #resolveEngine}). */
    private final io.stickyring.lb.config.ProxyEngine engine;
    /** Why auto chose the channel engine; null otherwise. */
    private final String engineWhy;
    private final List<InetSocketAddress> proxyAddresses = new ArrayList<>();
    private final CountDownLatch firstViewApplied = new CountDownLatch(1);
    private Channel adminChannel;
    private volatile boolean closed;
    /** The kernel data plane in {@code --dataplane nft} mode (no proxy listener then), else null. */
    private final NftDataPlane dataPlane;

    private LoadBalancer(LbConfig config, Membership membership, HashFactory hashFactory, KeyFunction keyFunction,
                         NftDataPlane dataPlane) {
        this.config = config;
        this.current = config;
        this.dataPlane = dataPlane;
        this.membership = membership;
        this.transport = NettyTransport.select(config.transport());
        String[] why = new String[1];
        this.engine = resolveEngine(config, transport, why);
        this.engineWhy = why[0];
        this.ioGroup = transport.newGroup(config.ioThreads(), "lb-io");
        // --accept-threads 0 (native transports): the I/O loops accept on their own sockets, no accept group
        this.acceptGroup = transport.nativeLinux() && config.acceptThreads() == 0 ? null
                : transport.newGroup(Math.max(1, config.acceptThreads()), "lb-accept");
        this.adminGroup = transport.newGroup(1, "lb-admin");
        this.control = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "lb-control"));
        this.blocking = Executors.newCachedThreadPool(r -> daemon(r, "lb-admin-blocking"));
        this.router = new Router(config, hashFactory, metrics, control, System::nanoTime,
                config.healthCheck() != HealthCheckMode.NONE);
        ConnectionLimiter limiter = new ConnectionLimiter(config.maxConnections(), config.maxConnectionsPerIp(),
                config.acceptRatePerIp(), System::nanoTime);
        this.proxy = new ProxyContext(config, router, keyFunction, limiter, metrics, new CloseLog(config.closeLogSample()),
                backendTemplate(), memberKeepalive(config, transport));
        this.initializer = new ProxyInitializer(proxy);
        this.health = config.healthCheck() == HealthCheckMode.NONE ? null
                : new HealthChecker(config, router, control, ioGroup, transport.socketChannel());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Starts the source, applies its first view, binds the listeners and starts health checks. */
    public static LoadBalancer start(LbConfig config, Membership membership, HashFactory hashFactory,
                                     KeyFunction keyFunction) throws Exception {
        return start(config, membership, hashFactory, keyFunction, null);
    }

    /**
     * As {@link #start(LbConfig, Membership, HashFactory, KeyFunction)}, with the kernel doing the
     * forwarding when {@code dataPlane} is not null: every routing table the router publishes goes to
     * it, no proxy listener is bound, and /lookup hashes clients as the kernel does. The LB owns
     * {@code dataPlane} from here on (closes it; the kernel table stays).
     */
    public static LoadBalancer start(LbConfig config, Membership membership, HashFactory hashFactory,
                                     KeyFunction keyFunction, NftDataPlane dataPlane) throws Exception {
        LoadBalancer lb = new LoadBalancer(config, membership, hashFactory, keyFunction, dataPlane);
        try {
            lb.doStart();
        } catch (Exception | Error e) {
            lb.close();
            throw e;
        }
        return lb;
    }

    private void doStart() throws Exception {
        if (dataPlane != null) {
            dataPlane.bindMetrics(metrics.registry());
            router.onPublish(dataPlane::publish);
        }
        MembershipSource source = membership.source();
        // The source calls listeners one at a time in publication order, and the control thread runs
        // tasks in submission order, so the router applies views exactly in the order the source chose.
        source.addListener(v -> control.execute(() -> applyView(v)));
        source.start();
        if (!firstViewApplied.await(INITIAL_VIEW_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("no membership view within {}s; not ready until one arrives", INITIAL_VIEW_WAIT.toSeconds());
        }
        if (dataPlane == null) {
            bindListeners();
        } else {
            // no proxy listener: the kernel serves the VIP; the first table is in the kernel before
            // the admin API reports ready
            dataPlane.awaitIdle(NftDataPlane.COMMAND_TIMEOUT.multipliedBy(2));
        }
        adminChannel = bind(new ServerBootstrap().group(adminGroup).channel(transport.serverChannel())
                .childHandler(new AdminInitializer(new AdminApi(router, metrics,
                        dataPlane == null ? proxy.keyFunction : dataPlane.keyFunction(), membership.admin(),
                        () -> membership.source().badMembers(),
                        config.adminToken(), blocking, proxy.openConnections()))),
                config.admin().toSocketAddress(), "admin");
        if (health != null) {
            health.start();
        }
        control.scheduleWithFixedDelay(this::housekeeping, 1, 1, TimeUnit.SECONDS);
        if (dataPlane != null) {
            NftConfig n = dataPlane.config();
            log.info("stickyring lb: kernel data plane, table {} {}, VIP {} ({} slots), admin on {}, {} members in view v{}",
                    n.family(), n.table(), config.listen(), n.slots(), adminAddress(),
                    router.table().members().size(), router.table().view().version());
            return;
        }
        log.info("stickyring lb listening on {} ({} x{}, {} proxy engine{}), admin on {}, {} members in view v{}",
                proxyAddress(), transport.name(), listeners.size() + directListeners.size(), engine.label(),
                engineWhy == null ? "" : ": " + engineWhy, adminAddress(), router.table().members().size(),
                router.table().view().version());
    }

    /**
     * Binds the proxy listener. With {@code --accept-threads 0}, the default on native transports,
     * every I/O loop binds its own socket (SO_REUSEPORT when there is more than one loop) and keeps
     * the connections it accepts: no accept threads, no hand-off between threads. With N > 0, N accept
     * threads each bind their own socket (SO_REUSEPORT when N > 1 on native transports, so N = 1
     * refuses a busy port; NIO binds one) and hand each connection to the next I/O loop. Accepting on
     * the loops costs less CPU per new connection and half the context switches, and made more new
     * connections/s in most same-run rounds (docs/lb.md, session 9); accept threads can still help on
     * a host whose cores are heavily oversubscribed (more threads, a larger share of the CPU).
     */
    private void bindListeners() throws Exception {
        if (acceptGroup != null) {
            boolean reusePort = transport.nativeLinux() && config.acceptThreads() > 1;
            int sockets = reusePort ? config.acceptThreads() : 1;
            bindAll(sockets, (i, addr) -> listenerBootstrap(acceptGroup, ioGroup, reusePort, addr));
            return;
        }
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor e : ioGroup) {
            loops.add((EventLoop) e);
        }
        if (engine == io.stickyring.lb.config.ProxyEngine.DIRECT) {
            if (transport.kind() != io.stickyring.cli.TransportKind.EPOLL) {
                throw new IllegalStateException("proxy-engine direct needs the epoll transport, which is not available here ("
                        + transport.name() + " selected); use --proxy-engine channels");
            }
            String cause = io.stickyring.lb.proxy.DirectProxy.unavailabilityCause();
            if (cause != null) {
                throw new IllegalStateException("proxy-engine direct cannot run with this Netty build (" + cause
                        + "); use --proxy-engine channels");
            }
            io.stickyring.lb.proxy.DirectProxy dp = new io.stickyring.lb.proxy.DirectProxy(proxy);
            for (HostPort address : config.listens()) {
                InetSocketAddress addr = address.toSocketAddress();
                for (int i = 0; i < loops.size(); i++) {
                    io.stickyring.lb.proxy.DirectProxy.Listener l;
                    try {
                        l = dp.listen((io.netty.channel.IoEventLoop) loops.get(i), addr, config.backlog(), loops.size() > 1);
                    } catch (Exception e) { // as bind(): names the flag and the address
                        throw io.stickyring.cli.StartupException.cannotBind("--listen",
                                new HostPort(addr.getHostString(), addr.getPort()), e);
                    }
                    directListeners.add(l);
                    if (i == 0) {
                        proxyAddresses.add(l.localAddress());
                    }
                    addr = new InetSocketAddress(address.host(), l.localAddress().getPort());
                }
            }
            return;
        }
        bindAll(loops.size(), (i, addr) -> listenerBootstrap(loops.get(i), loops.get(i), loops.size() > 1, addr));
    }

    /**
     * Binds {@code n} listening sockets on one port for every {@code --listen} address (the first
     * bind picks the port when it is 0).
     */
    private void bindAll(int n, java.util.function.BiFunction<Integer, InetSocketAddress, ServerBootstrap> bootstrap) throws Exception {
        for (HostPort address : config.listens()) {
            InetSocketAddress addr = address.toSocketAddress();
            for (int i = 0; i < n; i++) {
                Channel listener = bind(bootstrap.apply(i, addr), addr, "listen");
                listeners.add(listener);
                if (i == 0) {
                    proxyAddresses.add((InetSocketAddress) listener.localAddress());
                }
                addr = new InetSocketAddress(address.host(), ((InetSocketAddress) listener.localAddress()).getPort());
            }
        }
    }

    /**
     * On each listener, ahead of Netty's acceptor: every accepted client channel, before it is
     * registered, keeps writing after its client half-closes and has its read interest in place
     * ({@link NettyTransport#keepWritableAndReadable}; at that point it costs no system call, and the
     * FrontendHandler reads every routed client at once).
     */
    private static final io.netty.channel.ChannelHandler ACCEPTED = new AcceptedChannels();

    @io.netty.channel.ChannelHandler.Sharable
    private static final class AcceptedChannels extends io.netty.channel.ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Channel child) {
                // AUTO_READ off here, not as a childOption: Netty's acceptor applies those after this
                // handler, and turning AUTO_READ off would take the read interest out again
                child.config().setAutoRead(false);
                NettyTransport.keepWritableAndReadable(child);
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** The listener for {@code local}: AF_INET for an IPv4 address on epoll ({@link NettyTransport#newServerChannel}). */
    private ServerBootstrap listenerBootstrap(EventLoopGroup parent, EventLoopGroup child, boolean reusePort, InetSocketAddress local) {
        ServerBootstrap sb = new ServerBootstrap().group(parent, child).channelFactory(() -> transport.newServerChannel(local))
                .option(ChannelOption.SO_BACKLOG, config.backlog())
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(ACCEPTED) // AUTO_READ off and the read interest on for each accepted channel
                .childHandler(initializer);
        if (reusePort) {
            sb.option(UnixChannelOption.SO_REUSEPORT, true);
        }
        socketOptions(sb, true);
        return sb;
    }


    /** Binds or fails naming the flag and the address (two listeners fail with different messages). */
    private static Channel bind(AbstractBootstrap<?, ?> b, InetSocketAddress address, String flag) throws Exception {
        try {
            return b.bind(address).sync().channel();
        } catch (Exception e) {
            throw io.stickyring.cli.StartupException.cannotBind("--" + flag, new HostPort(address.getHostString(), address.getPort()), e);
        }
    }

    /**
     * Applies what the source delivers, in its order, with no version comparison: the source owns
     * view order (the ZooKeeper watcher publishes a lower version after a data reset on purpose).
     * Runs on the control thread only.
     */
    private void applyView(MembershipView v) {
        router.applyView(v);
        firstViewApplied.countDown();
    }

    private void housekeeping() {
        proxy.limiter.sweep();
        metrics.badPayloads.set(membership.source().badPayloads());
        MembershipView v = membership.source().current().orElse(null);
        if (v != null && v.stale()) {
            metrics.viewStale.set(1);
            metrics.viewStaleSeconds.set((System.currentTimeMillis() - v.staleSinceMillis()) / 1000.0);
        } else {
            metrics.viewStale.set(0);
            metrics.viewStaleSeconds.set(0);
        }
    }

    private Bootstrap backendTemplate() {
        Bootstrap b = new Bootstrap();
        if (transport.kind() == io.stickyring.cli.TransportKind.EPOLL) {
            b.channelFactory(new io.stickyring.lb.proxy.MemberChannelFactory(transport)); // AF_INET sockets for IPv4 members
        } else {
            b.channel(transport.socketChannel());
        }
        b
                .option(ChannelOption.AUTO_READ, false)
                // 0: no Netty timeout task per connect; FrontendHandler's ConnectTimer applies --connect-timeout
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 0);
        socketOptions(b, false);
        return b;
    }

    /** TCP options for both sides of a proxied connection. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private void socketOptions(AbstractBootstrap<?, ?> b, boolean child) {
        java.util.function.BiConsumer<ChannelOption, Object> set = (o, v) -> {
            if (child) {
                ((ServerBootstrap) b).childOption(o, v);
            } else {
                b.option(o, v);
            }
        };
        set.accept(ChannelOption.ALLOW_HALF_CLOSURE, true);
        set.accept(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT);
        set.accept(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK);
        set.accept(ChannelOption.RCVBUF_ALLOCATOR, RECV_ALLOCATOR);
        if (child && transport.nativeLinux()) {
            // Accepted sockets inherit these from the listening socket on Linux (the kernel clones the
            // listener's socket state), so set them once on the listener instead of 6 setsockopt calls
            // per accepted connection. ProxyIntegrationTest reads them back from accepted sockets.
            ServerBootstrap sb = (ServerBootstrap) b;
            sb.option(LinuxTcp.NODELAY, 1);
            sb.option(LinuxTcp.KEEPALIVE, 1);
            sb.option(LinuxTcp.KEEPIDLE, (int) config.keepaliveIdle().toSeconds());
            sb.option(LinuxTcp.KEEPINTVL, (int) config.keepaliveInterval().toSeconds());
            sb.option(LinuxTcp.KEEPCNT, config.keepaliveCount());
            if (!config.tcpUserTimeout().isZero()) {
                sb.option(LinuxTcp.USER_TIMEOUT, (int) config.tcpUserTimeout().toMillis());
            }
            return;
        }
        if (transport.nativeLinux()) {
            // Member sockets on epoll and io_uring: Netty's socket config turns TCP_NODELAY on in its
            // constructor, so setting it again is a second identical setsockopt per connect. The keepalive
            // timers and TCP_USER_TIMEOUT are set later, only on connections that live long enough
            // (memberKeepalive). docs/lb.md, "System calls per connection".
            if (!io.netty.util.internal.PlatformDependent.canEnableTcpNoDelayByDefault()) {
                set.accept(ChannelOption.TCP_NODELAY, true);
            }
            return;
        }
        set.accept(ChannelOption.TCP_NODELAY, true);
        set.accept(ChannelOption.SO_KEEPALIVE, true);
    }

    /**
     * The member sockets' dead-peer timers on native transports, set {@link MemberKeepalive#delay()}
     * after the connect by a per-loop armer instead of before it: min(1 s, keepalive idle / 2, user
     * timeout / 2). Below the idle time, so detection is as early as before (see MemberKeepalive);
     * connections shorter than the delay skip 5 setsockopt calls. NIO sets SO_KEEPALIVE in the template.
     */
    static MemberKeepalive memberKeepalive(LbConfig config, NettyTransport transport) {
        if (!transport.nativeLinux()) {
            return MemberKeepalive.NONE;
        }
        java.time.Duration delay = java.time.Duration.ofSeconds(1);
        delay = min(delay, config.keepaliveIdle().dividedBy(2));
        List<ChannelOption<?>> options = new ArrayList<>();
        List<Object> values = new ArrayList<>();
        // SO_KEEPALIVE first and TCP_KEEPIDLE last: setting the idle time on a socket with keepalive on
        // arms the first probe idle after the last segment received, as if set at connect
        options.add(ChannelOption.SO_KEEPALIVE);
        values.add(true);
        options.add(transport.tcpKeepIntvl());
        values.add((int) config.keepaliveInterval().toSeconds());
        options.add(transport.tcpKeepCnt());
        values.add(config.keepaliveCount());
        if (!config.tcpUserTimeout().isZero()) {
            options.add(transport.tcpUserTimeout());
            values.add((int) config.tcpUserTimeout().toMillis());
            delay = min(delay, config.tcpUserTimeout().dividedBy(2));
        }
        options.add(transport.tcpKeepIdle());
        values.add((int) config.keepaliveIdle().toSeconds());
        return new MemberKeepalive(delay, options, values);
    }

    private static java.time.Duration min(java.time.Duration a, java.time.Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Linux setsockopt levels and names (uapi socket.h, tcp.h) for options Netty's server config lacks. */
    private static final class LinuxTcp {
        private static final int SOL_SOCKET = 1;
        private static final int IPPROTO_TCP = 6;
        static final IntegerUnixChannelOption KEEPALIVE = new IntegerUnixChannelOption("SO_KEEPALIVE", SOL_SOCKET, 9);
        static final IntegerUnixChannelOption NODELAY = new IntegerUnixChannelOption("TCP_NODELAY", IPPROTO_TCP, 1);
        static final IntegerUnixChannelOption KEEPIDLE = new IntegerUnixChannelOption("TCP_KEEPIDLE", IPPROTO_TCP, 4);
        static final IntegerUnixChannelOption KEEPINTVL = new IntegerUnixChannelOption("TCP_KEEPINTVL", IPPROTO_TCP, 5);
        static final IntegerUnixChannelOption KEEPCNT = new IntegerUnixChannelOption("TCP_KEEPCNT", IPPROTO_TCP, 6);
        static final IntegerUnixChannelOption USER_TIMEOUT = new IntegerUnixChannelOption("TCP_USER_TIMEOUT", IPPROTO_TCP, 18);

        private LinuxTcp() {
        }
    }

    /** The first proxy listener's bound address; null in nft mode, where the kernel serves the VIP. */
    public InetSocketAddress proxyAddress() {
        return proxyAddresses.isEmpty() ? null : proxyAddresses.get(0);
    }

    /** Every proxy listener's bound address, in {@code --listen} order (one per address, not per SO_REUSEPORT socket). */
    public List<InetSocketAddress> proxyAddresses() {
        return List.copyOf(proxyAddresses);
    }

    /** The kernel data plane, or null in proxy mode. */
    public NftDataPlane dataPlane() {
        return dataPlane;
    }

    public InetSocketAddress adminAddress() {
        return (InetSocketAddress) adminChannel.localAddress();
    }

    /** Settings a reload may change (record component names of {@link LbConfig}); all others need a restart. */
    static final java.util.Set<String> RELOADABLE = java.util.Set.of("backends", "balanceFactor", "maxConnectionsPerMember",
            "slowStart", "drainTimeout", "downBackoffMin", "downBackoffMax", "healthRise", "healthFall",
            "keepConnectionsOnDown");

    /**
     * Applies a reloaded config without closing anything: the router's pick settings, bounded loads
     * and health policy, and (static backends) the member list. Refused as a whole, with the keys
     * named, when a setting outside {@link #RELOADABLE} differs.
     *
     * @return the flag names of the settings that changed (empty: nothing to do)
     * @throws IllegalArgumentException naming the settings that need a restart; nothing changed
     */
    public synchronized List<String> reload(LbConfig next) {
        List<String> changed = new ArrayList<>();
        List<String> fixed = new ArrayList<>();
        for (java.lang.reflect.RecordComponent rc : LbConfig.class.getRecordComponents()) {
            Object was;
            Object now;
            try {
                was = rc.getAccessor().invoke(current);
                now = rc.getAccessor().invoke(next);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read config component " + rc.getName(), e);
            }
            if (!java.util.Objects.equals(was, now)) {
                String flag = switch (rc.getName()) {
                    case "backends" -> "backend";
                    case "extraListens" -> "listen";
                    default -> rc.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
                };
                (RELOADABLE.contains(rc.getName()) ? changed : fixed).add(flag);
            }
        }
        boolean staticSource = membership.source() instanceof StaticMembershipSource;
        if (changed.contains("backend") && !staticSource) {
            fixed.add("backend (this LB's members do not come from --backend)");
        }
        if (!fixed.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", fixed.stream().distinct().toList())
                    + " cannot change on reload (restart the LB for that); nothing was changed");
        }
        if (changed.isEmpty()) {
            return List.of();
        }
        String unsupported = dataPlane == null ? null : NftConfig.proxyOnlySettings(next);
        if (unsupported != null) {
            throw new IllegalArgumentException(unsupported + "; nothing was changed");
        }
        current = next;
        router.reconfigure(next);
        if (changed.contains("backend")) {
            ((StaticMembershipSource) membership.source()).replace(next.backends());
        }
        log.info("config reloaded: {}", String.join(", ", changed));
        return List.copyOf(changed);
    }

    public Router router() {
        return router;
    }

    public LbMetrics metrics() {
        return metrics;
    }

    public ProxyContext proxy() {
        return proxy;
    }

    public String transportName() {
        return transport.name();
    }

    /**
     * {@code --proxy-engine auto}: direct where it carries the configuration and this build's Netty
     * has what it calls, else channels, with the reason in {@code why[0]}. Explicit choices stay.
     */
    static io.stickyring.lb.config.ProxyEngine resolveEngine(LbConfig config, NettyTransport transport, String[] why) {
        if (config.proxyEngine() != io.stickyring.lb.config.ProxyEngine.AUTO) {
            return config.proxyEngine();
        }
        String no = transport.kind() != io.stickyring.cli.TransportKind.EPOLL ? "the " + transport.name() + " transport"
                : config.directUnsupported();
        if (no == null) {
            no = io.stickyring.lb.proxy.DirectProxy.unavailabilityCause();
        }
        if (no != null) {
            why[0] = "auto, as the direct engine does not support " + no;
            return io.stickyring.lb.config.ProxyEngine.CHANNELS;
        }
        return io.stickyring.lb.config.ProxyEngine.DIRECT;
    }

    /** The proxy engine in effect ({@code auto} resolved): channels or direct. */
    public io.stickyring.lb.config.ProxyEngine proxyEngine() {
        return engine;
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    /**
     * Graceful shutdown: stop accepting, wait up to {@code grace} for open connections to end, close
     * what is left with reason {@code shutdown}, then stop every thread.
     */
    public synchronized void shutdown(Duration grace) {
        if (closed) {
            return;
        }
        closed = true;
        proxy.beginShutdown();
        for (Channel ch : listeners) {
            ch.close().awaitUninterruptibly();
        }
        for (io.stickyring.lb.proxy.DirectProxy.Listener l : directListeners) {
            l.shutdown().awaitUninterruptibly();
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (!proxy.openConnections().isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50); // production wait loop, bounded by the grace period
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int left = proxy.openConnections().size();
        if (left > 0) {
            log.info("shutdown grace over: closing {} connections", left);
        }
        for (io.stickyring.lb.route.TrackedConnection c : List.copyOf(proxy.openConnections())) {
            c.close(CloseReason.SHUTDOWN);
        }
        if (health != null) {
            health.close();
        }
        if (dataPlane != null) {
            dataPlane.close(); // the kernel keeps forwarding with the last table
        }
        if (adminChannel != null) {
            adminChannel.close().awaitUninterruptibly();
        }
        try {
            membership.close();
        } catch (RuntimeException e) {
            log.warn("closing membership source failed", e);
        }
        control.shutdownNow();
        blocking.shutdownNow();
        if (acceptGroup != null) {
            acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        }
        ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        adminGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
