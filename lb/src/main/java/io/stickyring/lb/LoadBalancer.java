package io.stickyring.lb;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.UnixChannelOption;
import io.stickyring.lb.admin.AdminApi;
import io.stickyring.lb.admin.AdminInitializer;
import io.stickyring.lb.config.HealthCheckMode;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.health.HealthChecker;
import io.stickyring.lb.metrics.LbMetrics;
import io.stickyring.lb.nft.NftConfig;
import io.stickyring.lb.nft.NftDataPlane;
import io.stickyring.lb.proxy.CloseLog;
import io.stickyring.lb.proxy.ConnectionLimiter;
import io.stickyring.lb.proxy.ProxyConnection;
import io.stickyring.lb.proxy.ProxyContext;
import io.stickyring.lb.proxy.ProxyInitializer;
import io.stickyring.lb.proxy.Transport;
import io.stickyring.lb.route.CloseReason;
import io.stickyring.lb.route.HashFactory;
import io.stickyring.lb.route.KeyFunction;
import io.stickyring.lb.route.Router;
import io.stickyring.lb.source.Membership;
import io.stickyring.membership.MembershipView;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import io.stickyring.membership.MembershipSource;
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
    private final Membership membership;
    private final Transport transport;
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

    private final LbMetrics metrics = new LbMetrics();
    private final Router router;
    private final ProxyContext proxy;
    private final HealthChecker health;
    private final List<Channel> listeners = new ArrayList<>();
    private Channel adminChannel;
    private volatile boolean closed;
    /** The kernel data plane in {@code --dataplane nft} mode (no proxy listener then), else null. */
    private final NftDataPlane dataPlane;

    private LoadBalancer(LbConfig config, Membership membership, HashFactory hashFactory, KeyFunction keyFunction,
                         NftDataPlane dataPlane) {
        this.config = config;
        this.dataPlane = dataPlane;
        this.membership = membership;
        this.transport = Transport.select(config.nativeTransport());
        this.acceptGroup = transport.newGroup(config.acceptThreads(), "lb-accept");
        this.ioGroup = transport.newGroup(config.ioThreads(), "lb-io");
        this.adminGroup = transport.newGroup(1, "lb-admin");
        this.control = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "lb-control"));
        this.blocking = Executors.newCachedThreadPool(r -> daemon(r, "lb-admin-blocking"));
        this.router = new Router(config, hashFactory, metrics, control, System::nanoTime,
                config.healthCheck() != HealthCheckMode.NONE);
        ConnectionLimiter limiter = new ConnectionLimiter(config.maxConnections(), config.maxConnectionsPerIp(),
                config.acceptRatePerIp(), System::nanoTime);
        this.proxy = new ProxyContext(config, router, keyFunction, limiter, metrics, new CloseLog(config.closeLogSample()),
                backendTemplate());
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
        source.addListener(v -> control.execute(() -> applyView(v)));
        source.start();
        Optional<MembershipView> first = source.awaitFirstView(INITIAL_VIEW_WAIT);
        if (first.isPresent()) {
            applyView(first.get());
        } else {
            log.warn("no membership view within {}s; not ready until one arrives", INITIAL_VIEW_WAIT.toSeconds());
        }
        if (dataPlane == null) {
            bindProxy();
        } else {
            // the first table is in the kernel before the admin API reports ready
            dataPlane.awaitIdle(NftDataPlane.COMMAND_TIMEOUT.multipliedBy(2));
        }
        adminChannel = new ServerBootstrap().group(adminGroup).channel(transport.serverChannel())
                .childHandler(new AdminInitializer(new AdminApi(router, metrics,
                        dataPlane == null ? proxy.keyFunction : dataPlane.keyFunction(), membership.admin(),
                        () -> membership.source().badMembers(),
                        config.adminToken(), blocking, proxy.openConnections())))
                .bind(config.admin().toSocketAddress()).sync().channel();
        if (health != null) {
            health.start();
        }
        control.scheduleWithFixedDelay(this::housekeeping, 1, 1, TimeUnit.SECONDS);
        if (dataPlane != null) {
            NftConfig n = dataPlane.config();
            log.info("stickyring lb: kernel data plane, table {} {}, VIP {} ({} slots), admin on {}, {} members in view v{}",
                    n.family(), n.table(), config.listen(), n.slots(), adminAddress(),
                    router.table().members().size(), router.table().view().version());
        }
    }

    private void bindProxy() throws Exception {
        ServerBootstrap sb = new ServerBootstrap().group(acceptGroup, ioGroup).channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, config.backlog())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ProxyInitializer(proxy));
        socketOptions(sb, true);
        int binds = 1;
        if (transport.epoll() && config.acceptThreads() > 1) {
            // SO_REUSEPORT: one listening socket per accept thread; the kernel spreads new connections.
            sb.option(UnixChannelOption.SO_REUSEPORT, true);
            binds = config.acceptThreads();
        }
        Channel listener = sb.bind(config.listen().toSocketAddress()).sync().channel();
        listeners.add(listener);
        int port = ((InetSocketAddress) listener.localAddress()).getPort();
        for (int i = 1; i < binds; i++) {
            listeners.add(sb.bind(new InetSocketAddress(config.listen().host(), port)).sync().channel());
        }
        log.info("stickyring lb listening on {} ({} x{}), {} members in view v{}",
                proxyAddress(), transport.name(), binds, router.table().members().size(),
                router.table().view().version());
    }

    private synchronized void applyView(MembershipView v) {
        MembershipView cur = router.table().view();
        if (v.version() < cur.version()) {
            return; // late delivery of an older view
        }
        router.applyView(v);
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
        Bootstrap b = new Bootstrap().channel(transport.socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()));
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
        if (child && transport.epoll()) {
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
        set.accept(ChannelOption.TCP_NODELAY, true);
        set.accept(ChannelOption.SO_KEEPALIVE, true);
        if (transport.epoll()) {
            set.accept(EpollChannelOption.TCP_KEEPIDLE, (int) config.keepaliveIdle().toSeconds());
            set.accept(EpollChannelOption.TCP_KEEPINTVL, (int) config.keepaliveInterval().toSeconds());
            set.accept(EpollChannelOption.TCP_KEEPCNT, config.keepaliveCount());
            if (!config.tcpUserTimeout().isZero()) {
                set.accept(EpollChannelOption.TCP_USER_TIMEOUT, (int) config.tcpUserTimeout().toMillis());
            }
        }
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

    /** The proxy listener's address; null in nft mode, where the kernel serves the VIP. */
    public InetSocketAddress proxyAddress() {
        return listeners.isEmpty() ? null : (InetSocketAddress) listeners.get(0).localAddress();
    }

    /** The kernel data plane, or null in proxy mode. */
    public NftDataPlane dataPlane() {
        return dataPlane;
    }

    public InetSocketAddress adminAddress() {
        return (InetSocketAddress) adminChannel.localAddress();
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
        for (ProxyConnection c : List.copyOf(proxy.openConnections())) {
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
        acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        adminGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
