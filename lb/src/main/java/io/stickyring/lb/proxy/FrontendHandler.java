package io.stickyring.lb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.stickyring.lb.route.CloseReason;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.route.MemberRuntime;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client side of one proxied connection (after Netty's HexDumpProxyFrontendHandler): picks the
 * member for the client's key, connects to it on the same event loop, then relays client bytes to it.
 *
 * <p>Backpressure: write watermarks toggling the peer's autoRead. Both channels start with AUTO_READ
 * off. The client channel turns it on as soon as its member connect is in flight (with
 * {@code --accept-proxy-protocol}, only the header is read first), so the client's first bytes are read
 * in the same event-loop pass that completes the connect instead of one pass later; bytes read before
 * the member is connected wait in {@code pending}, and reading stops once they reach the high write
 * watermark. Once connected both sides read on their own. After each read burst the
 * handler flushes to the member; if the member channel is then above its high write watermark, the
 * client channel's autoRead goes off until {@link BackendHandler#channelWritabilityChanged} sees the
 * member channel drain below the low watermark and turns it back on. The member direction mirrors
 * this, so neither side buffers more than one high watermark plus one read burst. (Toggling autoRead
 * only under pressure avoids an epoll_ctl pair per read burst that explicit read() calls cost.)
 *
 * <p>Failures: a failed connect marks the member down (passive health) and tries the key's next
 * member, at most {@code --connect-tries} members in all. Half-close: a client FIN shuts the member
 * side's output after pending bytes are flushed; the connection closes when both sides have sent FIN.
 */
public final class FrontendHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    private final ProxyContext px;
    private ProxyConnection conn;
    private ArrayDeque<Object> pending;
    /** Bytes in {@link #pending}: reading stops at the high write watermark until the member is connected. */
    private int pendingBytes;
    private boolean routed;
    private boolean pendingEof;
    private boolean badHeader;
    /** Refused (counted in rejected_total): not counted again in closed_total when it closes. */
    private boolean refused;

    public FrontendHandler(ProxyContext px) {
        this.px = px;
    }

    ProxyConnection connection() {
        return conn;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        conn = new ProxyConnection(ctx.channel());
        px.metrics.accepted.inc();
        px.metrics.active.inc();
        px.opened(conn);
        if (px.shuttingDown()) {
            reject("shutdown", CloseReason.SHUTDOWN);
            return;
        }
        if (px.config.acceptProxyProtocol()) {
            ctx.read(); // the PROXY header comes first; route once it is decoded
            // a peer that never sends its header must not hold a connection forever
            ctx.executor().schedule(() -> {
                if (!routed && conn.reason() == null) {
                    reject("proxy_header_timeout", CloseReason.ERROR);
                }
            }, px.config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        route(ctx);
    }

    private void route(ChannelHandlerContext ctx) {
        routed = true;
        ConnectionLimiter.Verdict v = px.limiter.acquire(conn.client.getAddress());
        if (v != ConnectionLimiter.Verdict.OK) {
            reject(v.name().toLowerCase(Locale.ROOT), CloseReason.LIMIT);
            return;
        }
        conn.limiterIp = conn.client.getAddress();
        conn.key = px.keyFunction.key(conn.client);
        MemberRuntime first = px.router.first(conn.key);
        if (first == null) {
            boolean full = px.router.table().routable();
            reject(full ? "member_full" : "no_member", full ? CloseReason.LIMIT : CloseReason.NO_MEMBER);
            return;
        }
        connect(ctx, first, new MemberRuntime[px.config.connectTries()], 0);
        if (conn.reason() == null) { // not refused or closed meanwhile (a no-op once connected)
            // Read the client while the connect is in flight: on loopback and LANs the connect and the
            // client's first bytes are ready in the same epoll pass, and reading then saves a pass.
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Attempt {@code i} (0-based) of at most {@code --connect-tries}, to member {@code m}. */
    private void connect(ChannelHandlerContext ctx, MemberRuntime m, MemberRuntime[] tried, int i) {
        tried[i] = m;
        ChannelFuture f;
        try {
            f = px.connector.connect(ctx.channel().eventLoop(),
                    BackendInitializer.needed(px) ? new BackendInitializer(px, conn) : new BackendHandler(conn), m.address());
        } catch (ChannelException e) {
            // The LB could not even make the member socket (socket() failed: typically its descriptors are
            // used up, EMFILE). That is not the member's fault: marking it down would close all of its live
            // connections, and trying the next member would fail the same way. Refuse this client only.
            localSocketFailures(e);
            reject("local_socket", CloseReason.ERROR);
            return;
        }
        conn.backend = f.channel();
        ConnectTimer timer = f.isDone() ? null : px.connectTimer(ctx.channel().eventLoop());
        if (timer != null) {
            timer.add(conn); // --connect-timeout: closes the member channel if the connect is still in flight then
        }
        f.addListener(done -> {
            if (timer != null) {
                timer.remove(conn);
            }
            if (done.isSuccess()) {
                connected(ctx, m, f.channel());
                return;
            }
            f.channel().close(); // a failed connect leaves its socket open
            if (conn.finished || conn.reason() != null) {
                return; // the client left meanwhile: not the member's fault
            }
            log.debug("connect to {} failed: {}", m, done.cause().toString());
            px.router.connectFailed(m);
            MemberRuntime next = i + 1 < tried.length ? px.router.next(conn.key, tried, i + 1) : null;
            if (next != null) {
                px.metrics.pickRetries.inc();
                connect(ctx, next, tried, i + 1);
            } else {
                reject("connect_failed", CloseReason.CONNECT_FAILED);
            }
        });
    }

    private void connected(ChannelHandlerContext ctx, MemberRuntime m, Channel backend) {
        if (conn.finished) {
            backend.close();
            return;
        }
        m.connectSucceeded();
        conn.member = m;
        conn.connected = true;
        if (!m.register(conn)) {
            // the member left or went down between the pick and the connect
            conn.close(m.inView() ? CloseReason.MEMBER_DOWN : CloseReason.MEMBER_REMOVED);
            return;
        }
        if (px.config.proxyProtocol() != io.stickyring.lb.config.ProxyProtocolMode.NONE) {
            backend.write(ProxyHeaders.header(px.config.proxyProtocol(), conn.client, conn.destination));
        }
        if (pending != null) {
            for (Object msg; (msg = pending.poll()) != null; ) {
                countToMember(msg);
                backend.write(msg);
            }
            pending = null;
            pendingBytes = 0;
        }
        backend.flush();
        if (pendingEof) {
            clientEof();
        }
        if (px.keepalive.enabled() && backend.isActive()) {
            // dead-member timers only for connections that live past the delay (MemberKeepalive)
            px.keepaliveArmer(ctx.channel().eventLoop()).add(conn);
        }
        if (ctx.channel().isActive() && backend.isActive()) {
            // from here on both sides read on their own; pressure turns autoRead off (see class comment)
            ctx.channel().config().setAutoRead(true);
            backend.config().setAutoRead(true);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HAProxyMessage header) {
            try {
                if (header.command() == HAProxyCommand.PROXY && header.sourceAddress() != null) {
                    conn.client = new InetSocketAddress(KeyFunctions.parseLiteral(header.sourceAddress()), header.sourcePort());
                    conn.destination = new InetSocketAddress(
                            KeyFunctions.parseLiteral(header.destinationAddress()), header.destinationPort());
                }
            } finally {
                header.release();
            }
            route(ctx);
            return;
        }
        if (!conn.connected) {
            // bytes that followed the PROXY header before the member connect completed
            if (conn.reason() != null) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (pending == null) {
                pending = new ArrayDeque<>(2);
            }
            pending.add(msg);
            if (msg instanceof ByteBuf buf) {
                pendingBytes += buf.readableBytes();
                if (pendingBytes >= ctx.channel().config().getWriteBufferHighWaterMark()) {
                    ctx.channel().config().setAutoRead(false); // connected() turns it back on
                }
            }
            return;
        }
        countToMember(msg);
        Channel b = conn.backend;
        b.write(msg, b.voidPromise()); // no promise per message; failures reach exceptionCaught
    }

    private void countToMember(Object msg) {
        if (msg instanceof ByteBuf buf) {
            int n = buf.readableBytes();
            conn.bytesToMember += n;
            conn.member.bytesToMember.inc(n);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (conn.connected) {
            Channel b = conn.backend;
            b.flush();
            if (!b.isWritable()) {
                ctx.channel().config().setAutoRead(false); // the member is not draining: stop reading the client
            }
        } else if (!routed) {
            ctx.read(); // PROXY header not complete yet
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && conn.connected) {
            conn.backend.config().setAutoRead(true); // the client drained: resume reading from the member
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            if (conn.connected) {
                clientEof();
            } else {
                pendingEof = true;
            }
        } else if (evt instanceof IdleStateEvent) {
            conn.close(CloseReason.IDLE);
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** The client sent FIN: forward it to the member after pending bytes; close once both sides are done. */
    private void clientEof() {
        conn.clientEof = true;
        if (conn.memberEof) {
            conn.closeOnFlush(CloseReason.MEMBER);
            return;
        }
        ProxyConnection.forwardFin(conn.backend);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (conn == null) {
            return;
        }
        // after a forwarded member FIN, the client's FIN closes this channel (no half-closure left)
        conn.closeOnFlush(conn.memberEof ? CloseReason.MEMBER : CloseReason.CLIENT);
        onClosed();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof HAProxyProtocolException || cause.getCause() instanceof HAProxyProtocolException) {
            // the decoder has already closed the channel and may report the same header twice
            if (!badHeader) {
                badHeader = true;
                reject("bad_proxy_header", CloseReason.ERROR);
            }
            return;
        }
        // I/O errors (reset, epoll_ctl on a socket the peer just dropped) are the client going away
        boolean io = cause instanceof IOException || cause.getCause() instanceof IOException;
        if (!io) {
            log.warn("client connection {} failed", conn.client, cause);
        }
        conn.close(io ? CloseReason.CLIENT : CloseReason.ERROR);
    }

    private static final java.util.concurrent.atomic.AtomicLong LOCAL_SOCKET_LOGGED = new java.util.concurrent.atomic.AtomicLong();

    /** Logs a failed member socket at most once per second (a storm can fail thousands in a row). */
    private static void localSocketFailures(Throwable cause) {
        long now = System.nanoTime();
        long last = LOCAL_SOCKET_LOGGED.get();
        if ((last == 0 || now - last >= 1_000_000_000L) && LOCAL_SOCKET_LOGGED.compareAndSet(last, now == 0 ? 1 : now)) {
            log.warn("cannot create a member socket ({}); refusing new clients until descriptors free up "
                    + "(counted in stickyring_lb_connections_rejected_total{reason=\"local_socket\"})", cause.getMessage());
        }
    }

    private void reject(String label, CloseReason reason) {
        refused = true;
        px.metrics.rejected.labelValues(label).inc();
        conn.close(reason);
    }

    /** Runs once, on the event loop, when the client channel has closed (from channelInactive). */
    private void onClosed() {
        conn.finished = true;
        if (conn.timerList != null) {
            conn.timerList.remove(conn); // its connect deadline or its keepalive arming: nothing left to do
        }
        if (pending != null) {
            pending.forEach(ReferenceCountUtil::release);
            pending = null;
        }
        if (conn.limiterIp != null) {
            px.limiter.release(conn.limiterIp);
        }
        if (conn.member != null) {
            conn.member.unregister(conn);
        }
        px.closed(conn);
        px.metrics.active.dec();
        CloseReason r = conn.reason();
        if (!refused) {
            px.metrics.closedBy(r == null ? CloseReason.CLIENT : r).inc();
        }
        px.closeLog.log(conn);
    }
}
