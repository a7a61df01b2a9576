package io.stickyring.chat.server;

import io.stickyring.cli.HostPort;
import io.stickyring.cli.NettyTransport;
import io.stickyring.cli.TransportKind;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.stickyring.chat.auth.TokenService;
import io.stickyring.chat.bus.MessageBus;
import io.stickyring.chat.bus.MessageBuses;
import io.stickyring.chat.bus.NatsConfig;
import io.stickyring.chat.cluster.ClusterRouting;
import io.stickyring.chat.store.MessageStore;
import io.stickyring.chat.store.MessageStores;
import io.stickyring.membership.Member;
import io.stickyring.cli.StartupException;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.zk.ZkMemberRegistration;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running chat node: store, bus, Netty server and lifecycle. {@link #start} binds and serves;
 * {@link #shutdown} goes DRAINING, waits the drain period, closes remaining WebSockets with 1012
 * and a jittered retry hint, stops the server, then closes the store (after its queued writes
 * completed, so every ack sent was durable). Used by {@code stickyring node}, the demo and tests.
 */
public final class ChatNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChatNode.class);
    static final String VERSION = "0.1.0";

    private final NodeConfig config;
    private final ChatMetrics metrics;
    private final MessageStore store;
    /** Append routing to the owning writer, or null (standalone or single-store shapes). */
    private final ClusterRouting routing;
    private final MessageBus bus;
    private final ExecutorService blocking;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ChannelGroup sessions;
    private final NodeContext context;
    private final Channel serverChannel;
    private final Channel adminChannel;
    private final ConnectionLimiter limiter;
    private final List<Consumer<MemberState>> stateListeners = new CopyOnWriteArrayList<>();
    private volatile MemberState state = MemberState.ACTIVE;
    private volatile ZkMemberRegistration registration;
    private volatile boolean closed;
    private TokenService tokenService;

    private ChatNode(NodeConfig config, MessageStore givenStore, MessageBus givenBus) throws Exception {
        this.config = config;
        this.metrics = new ChatMetrics();
        MessageStore opened = givenStore != null ? givenStore
                : StartupException.forFlag("--store", () -> MessageStores.open(config.store(), config.commitMaxBatch(), metrics));
        try {
            this.routing = config.routesAppends() ? ClusterRouting.start(config.role(), config.nodeId(), config.zkSettings(),
                    NatsConfig.parse(config.bus()), opened, config.forwardWindow(), config.writerProbeDelay()) : null;
            if (routing != null) {
                ClusterRouting r = routing;
                io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("stickyring_chat_writer_probe_delay_seconds")
                        .help("How long a forwarded batch waits before its writer is probed (--writer-probe-delay); only on nodes that route appends")
                        .callback(cb -> cb.call(r.probeDelay().toNanos() / 1e9)).register(metrics.registry());
            }
        } catch (RuntimeException e) {
            opened.close();
            throw e;
        }
        this.store = routing != null ? routing.store() : opened;
        try {
            this.bus = givenBus != null ? givenBus
                    : StartupException.forFlag("--bus", () -> MessageBuses.open(config.bus(), store.inboxFeed().orElse(null), metrics.registry()));
            if (routing != null) {
                routing.publishDeliveriesWith(bus);
            }
            // Another node's leave: drop our cached member list so the leaver is out here too.
            bus.subscribeGroupChanges(conv -> {
                store.invalidateGroup(conv);
                metrics.groupChangesReceived.inc();
            });
            AtomicInteger n = new AtomicInteger();
            ThreadFactory tf = r -> {
                Thread t = new Thread(r, "chat-blocking-" + config.nodeId() + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
            this.blocking = Executors.newFixedThreadPool(config.blockingThreads(), tf);
            NettyTransport transport = NettyTransport.select(TransportKind.EPOLL); // epoll where available, else NIO
            this.boss = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
            this.workers = new MultiThreadIoEventLoopGroup(config.ioThreads(), transport.ioHandlerFactory());
            this.sessions = new DefaultChannelGroup("sessions-" + config.nodeId(), GlobalEventExecutor.INSTANCE);
            TokenService tokens = new TokenService(config.tokenSettings(), Clock.systemUTC());
            this.tokenService = tokens;
            RateLimiter rate = new RateLimiter(config.ratePerSecond(), config.rateBurst(), System::nanoTime);
            RateLimiter groupRate = new RateLimiter(config.groupsPerMinute() / 60, (int) Math.ceil(config.groupsPerMinute()), System::nanoTime);
            ChatService service = new ChatService(store, bus, blocking, config, metrics);
            SessionRegistry registry = service.registry();
            this.context = new NodeContext(config, service, registry, tokens, rate, metrics, sessions, new StaticFiles("web"),
                    new java.util.concurrent.ConcurrentHashMap<>(), groupRate);
            this.limiter = new ConnectionLimiter(config.maxConnections(), metrics);
            SslContext ssl = config.tlsCert() == null ? null
                    : SslContextBuilder.forServer(config.tlsCert().toFile(), config.tlsKey().toFile()).build();
            Class<? extends ServerChannel> channelClass = transport.serverChannel();
            ServerBootstrap b = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(channelClass)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                            new WriteBufferWaterMark(config.writeLowWatermark(), config.writeHighWatermark()))
                    .childHandler(new ChatServerInitializer(context, limiter, ssl, () -> state.name()));
            io.netty.channel.ChannelFuture bind = b.bind(config.host(), config.port()).await();
            if (!bind.isSuccess()) {
                throw StartupException.cannotBind("--listen", config.host() + ":" + config.port(), bind.cause());
            }
            this.serverChannel = bind.channel();
            byte[] adminToken = adminToken(config);
            this.adminChannel = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(channelClass)
                    .childHandler(new AdminInitializer(metrics, config.nodeId(), () -> state.name(), adminToken))
                    .bind(config.adminHost(), config.adminPort()).sync().channel();
            if (config.devLogin()) {
                log.warn("chat node {}: DEV LOGIN IS ON: POST /api/login gives anyone a token for any user{}", config.nodeId(),
                        NodeConfig.isLoopback(config.host()) ? "" : " ON A NON-LOOPBACK ADDRESS (" + config.host() + ")");
            }
            workers.scheduleAtFixedRate(rate::evictIdle, 60, 60, TimeUnit.SECONDS);
            workers.scheduleAtFixedRate(groupRate::evictIdle, 60, 60, TimeUnit.SECONDS);
            if (config.zk() != null && config.role().servesClients()) {
                StartupException.forFlag("--zk (" + config.zk() + ")", () -> {
                    register();
                    return null;
                });
            }
            if (routing != null) {
                HostPort hp = advertised();
                routing.registerWriter(hp.host(), hp.port(), config.weight(), config.zone(), VERSION);
            }
            log.info("chat node {} listening on {}, admin (metrics, health) on {} (role {}, store {}, bus {}, {})", config.nodeId(),
                    serverChannel.localAddress(), adminChannel.localAddress(), config.role(), config.store(), config.bus(),
                    transport.name());
        } catch (Exception e) {
            closeNow();
            throw e;
        }
    }

    private static byte[] adminToken(NodeConfig config) throws java.io.IOException {
        if (config.adminTokenFile() == null) {
            return null;
        }
        String t = java.nio.file.Files.readString(config.adminTokenFile()).trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("admin token file (" + config.adminTokenFile() + ") is empty");
        }
        return t.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Registers this node's ephemeral znode; DRAINING is published in place by {@link #drain()}. */
    private void register() {
        HostPort hp = advertised();
        Member me = new Member(config.nodeId(), hp.host(), hp.port(), config.weight(), MemberState.ACTIVE, config.zone(),
                System.currentTimeMillis(), VERSION);
        ZkMemberRegistration r = ZkMemberRegistration.create(config.zkSettings(), me);
        r.start();
        registration = r;
        stateListeners.add(r::setState);
    }

    /** {@code --advertise}, else the bound address (127.0.0.1 for a wildcard bind). */
    private HostPort advertised() {
        if (config.advertise() != null) {
            return HostPort.parse("--advertise", config.advertise());
        }
        InetSocketAddress bound = address();
        return new HostPort(bound.getAddress().isAnyLocalAddress() ? "127.0.0.1" : bound.getAddress().getHostAddress(),
                bound.getPort());
    }

    /** Builds and binds a node. */
    public static ChatNode start(NodeConfig config) throws Exception {
        return new ChatNode(config, null, null);
    }

    /**
     * Builds and binds a node on a store and bus made by the caller (instead of from
     * {@code config.store()} / {@code config.bus()}); the node closes them when it stops.
     * For other store/bus implementations and fault-injecting wrappers in tests.
     */
    public static ChatNode start(NodeConfig config, MessageStore store, MessageBus bus) throws Exception {
        return new ChatNode(config, store, bus);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** The admin listener (metrics, health). */
    public InetSocketAddress adminAddress() {
        return (InetSocketAddress) adminChannel.localAddress();
    }

    public NodeConfig config() {
        return config;
    }

    public ChatMetrics metrics() {
        return metrics;
    }

    public MessageStore store() {
        return store;
    }

    public TokenService tokens() {
        return context.tokens();
    }

    public MemberState state() {
        return state;
    }

    /** Open WebSocket sessions (handshake complete). */
    /** Files the web client is served from (fixed at start). */
    int staticFileCount() {
        return context.staticFiles().size();
    }

    public int sessionCount() {
        return sessions.size();
    }

    /** This node's ZooKeeper registration, or null when standalone. */
    public ZkMemberRegistration registration() {
        return registration;
    }

    /** Whether any session or long poll on this node listens for {@code user}'s events. */
    public boolean hasListener(String user) {
        return context.registry().has(user);
    }

    /** Marks the node DRAINING (load balancers stop sending new clients); sessions stay open. */
    public void drain() {
        if (state != MemberState.DRAINING) {
            state = MemberState.DRAINING;
            log.info("chat node {} draining", config.nodeId());
            for (Consumer<MemberState> l : stateListeners) {
                try {
                    l.accept(state);
                } catch (RuntimeException e) {
                    log.warn("state listener failed: {}", e.toString());
                }
            }
        }
    }

    /** Closes every WebSocket with 1012 and a jittered retry hint; returns when they are closed (bounded). */
    public void closeSessions() {
        long min = config.retryHintMin().toMillis();
        long max = config.retryHintMax().toMillis();
        for (Channel ch : sessions) {
            WebSocketSessionHandler.closeForRestart(ch, min, max);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (!sessions.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Drain, wait {@code drainPeriod}, close sessions with 1012, stop serving, close the store. */
    public void shutdown(Duration drainPeriod) {
        if (closed) {
            return;
        }
        drain();
        if (!drainPeriod.isZero()) {
            long deadline = System.nanoTime() + drainPeriod.toNanos();
            // Leave early once every client has moved away on its own.
            while (!sessions.isEmpty() && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        closeNow();
    }

    private synchronized void closeNow() {
        if (closed) {
            return;
        }
        closed = true;
        // Order matters for clients behind a load balancer. We are already DRAINING, so LBs send no
        // new clients here. Stop accepting first (a reconnect that still races here fails to connect
        // and the LB tries the key's next member), then close sessions with 1012 while we are still
        // in the view (an LB cuts a member's connections when it leaves the view, which would swallow
        // the 1012 frame and its retry hint), and only then leave membership.
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        if (adminChannel != null) {
            adminChannel.close().syncUninterruptibly();
        }
        if (tokenService != null) {
            tokenService.close();
        }
        if (sessions != null) {
            closeSessions();
        }
        ZkMemberRegistration r = registration;
        if (r != null) {
            r.close();
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (boss != null) {
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (blocking != null) {
            blocking.shutdown();
            try {
                blocking.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (bus != null) {
            bus.close();
        }
        store.close();
        if (serverChannel != null) { // a node that never served has its start-up error to say instead
            log.info("chat node {} stopped", config.nodeId());
        }
    }

    /** Immediate shutdown (no drain wait): sessions get 1012, queued writes finish, store closes. */
    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
