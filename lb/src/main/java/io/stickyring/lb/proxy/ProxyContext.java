package io.stickyring.lb.proxy;

import io.netty.bootstrap.Bootstrap;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.metrics.LbMetrics;
import io.stickyring.lb.route.KeyFunction;
import io.stickyring.lb.route.Router;
import io.netty.channel.EventLoop;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Everything the per-connection handlers share: config, router, key function, limits, metrics, the
 * backend bootstrap template (read once into a {@link MemberConnector}) and the set of open connections (for graceful shutdown).
 *
 * <p>Invariant: every field is thread-safe; one instance per LB.
 */
public final class ProxyContext {

    public final LbConfig config;
    public final Router router;
    public final KeyFunction keyFunction;
    public final ConnectionLimiter limiter;
    public final LbMetrics metrics;
    public final CloseLog closeLog;
    /** Template for member connections: channel class and options (see {@link #connector}). */
    public final Bootstrap backendTemplate;
    /** Opens member connections from {@link #backendTemplate} without a Bootstrap clone per connection. */
    final MemberConnector connector;
    private final Set<io.stickyring.lb.route.TrackedConnection> open = ConcurrentHashMap.newKeySet();
    /** One member connect timer per event loop (--connect-timeout), made on the loop's first connect. */
    private final ConcurrentHashMap<EventLoop, ConnectTimer> connectTimers = new ConcurrentHashMap<>();
    private final long connectTimeoutNanos;
    /** The member sockets' dead-peer timers, set by one {@link KeepaliveArmer} per event loop. */
    final MemberKeepalive keepalive;
    private final ConcurrentHashMap<EventLoop, KeepaliveArmer> armers = new ConcurrentHashMap<>();
    private volatile boolean shuttingDown;

    public ProxyContext(LbConfig config, Router router, KeyFunction keyFunction, ConnectionLimiter limiter,
                        LbMetrics metrics, CloseLog closeLog, Bootstrap backendTemplate) {
        this(config, router, keyFunction, limiter, metrics, closeLog, backendTemplate, MemberKeepalive.NONE);
    }

    /** {@code keepalive}: the member socket options set {@link MemberKeepalive#delay()} after the connect. */
    public ProxyContext(LbConfig config, Router router, KeyFunction keyFunction, ConnectionLimiter limiter,
                        LbMetrics metrics, CloseLog closeLog, Bootstrap backendTemplate, MemberKeepalive keepalive) {
        this.keepalive = keepalive;
        this.config = config;
        this.router = router;
        this.keyFunction = keyFunction;
        this.limiter = limiter;
        this.metrics = metrics;
        this.closeLog = closeLog;
        this.backendTemplate = backendTemplate;
        this.connector = new MemberConnector(backendTemplate);
        this.connectTimeoutNanos = config.connectTimeout().toNanos();
    }

    /** The connect timer of {@code loop} (its member connects' --connect-timeout). */
    ConnectTimer connectTimer(EventLoop loop) {
        ConnectTimer t = connectTimers.get(loop);
        return t != null ? t : connectTimers.computeIfAbsent(loop, l -> new ConnectTimer(l, connectTimeoutNanos));
    }

    /** The member sockets' dead-peer timers and the delay after the connect at which they are set. */
    public MemberKeepalive memberKeepalive() {
        return keepalive;
    }

    /** The keepalive armer of {@code loop}, made on the loop's first connection. */
    KeepaliveArmer keepaliveArmer(EventLoop loop) {
        KeepaliveArmer a = armers.get(loop);
        return a != null ? a : armers.computeIfAbsent(loop, l -> new KeepaliveArmer(l, keepalive));
    }

    void opened(io.stickyring.lb.route.TrackedConnection c) {
        open.add(c);
    }

    void closed(io.stickyring.lb.route.TrackedConnection c) {
        open.remove(c);
    }

    public Set<io.stickyring.lb.route.TrackedConnection> openConnections() {
        return open;
    }

    public boolean shuttingDown() {
        return shuttingDown;
    }

    public void beginShutdown() {
        shuttingDown = true;
    }
}
