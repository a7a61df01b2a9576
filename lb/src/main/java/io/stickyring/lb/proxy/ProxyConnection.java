package io.stickyring.lb.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.stickyring.cli.NettyTransport;
import io.stickyring.lb.route.CloseReason;
import io.stickyring.lb.route.MemberRuntime;
import io.stickyring.lb.route.TrackedConnection;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * State of one proxied connection, shared by its frontend and backend handlers.
 *
 * <p>Invariant: all fields except {@code reason} and {@code backend} are touched only on the client
 * channel's event loop (the backend channel is registered on the same loop). The first close reason
 * recorded wins.
 */
public final class ProxyConnection implements TrackedConnection {

    private static final VarHandle REASON;

    static {
        try {
            REASON = MethodHandles.lookup().findVarHandle(ProxyConnection.class, "reason", CloseReason.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Channel frontend;
    volatile Channel backend;
    final long startNanos = System.nanoTime();
    /** First close reason recorded; set through {@link #REASON} (a field, not an AtomicReference: 16 bytes less per connection). */
    private volatile CloseReason reason;
    InetSocketAddress client;
    InetSocketAddress destination;
    InetAddress limiterIp;
    long key;
    MemberRuntime member;
    boolean connected;
    boolean finished;
    boolean clientEof;
    boolean memberEof;
    long bytesToMember;
    long bytesFromMember;
    // links in one of its loop's LoopTimerLists (event loop only): the ConnectTimer while the member
    // connect is in flight, then the KeepaliveArmer until the member socket's keepalive is armed
    ProxyConnection timerPrev;
    ProxyConnection timerNext;
    long timerDeadline;
    LoopTimerList timerList;

    ProxyConnection(Channel frontend) {
        this.frontend = frontend;
        this.client = (InetSocketAddress) frontend.remoteAddress();
        this.destination = (InetSocketAddress) frontend.localAddress();
    }

    @Override
    public long key() {
        return key;
    }

    public Channel frontendChannel() {
        return frontend;
    }

    public Channel backendChannel() {
        return backend;
    }

    public MemberRuntime member() {
        return member;
    }

    @Override
    public InetSocketAddress client() {
        return client;
    }

    @Override
    public String memberId() {
        MemberRuntime m = member;
        return connected && m != null ? m.id() : null;
    }

    @Override
    public long startNanos() {
        return startNanos;
    }

    @Override
    public long bytesToMember() {
        return bytesToMember;
    }

    @Override
    public long bytesFromMember() {
        return bytesFromMember;
    }

    public CloseReason reason() {
        return reason;
    }

    void setReason(CloseReason r) {
        REASON.compareAndSet(this, null, r);
    }

    /** Closes both sides at once (member down, drain timeout, idle, limit, shutdown). */
    @Override
    public void close(CloseReason r) {
        setReason(r);
        frontend.close();
        Channel b = backend;
        if (b != null) {
            b.close();
        }
    }

    /** Records the reason, then closes both sides once their queued writes are flushed. */
    void closeOnFlush(CloseReason r) {
        setReason(r);
        closeOnFlush(frontend);
        Channel b = backend;
        if (b != null) {
            closeOnFlush(b);
        }
    }

    /**
     * Closes {@code ch} after its queued bytes are written. A channel already closed is left alone,
     * and one with nothing queued (or its output already shut) is closed at once: on the common
     * path that saves a write, a promise and a listener, and Netty builds a ClosedChannelException
     * for every close() or write on a closed channel.
     */
    static void closeOnFlush(Channel ch) {
        if (!ch.isOpen()) {
            return;
        }
        if (ch.isActive() && hasQueuedBytes(ch)) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }

    /** True if {@code ch} has bytes written but not yet sent (false once its output is shut). */
    static boolean hasQueuedBytes(Channel ch) {
        ChannelOutboundBuffer ob = ch.unsafe().outboundBuffer();
        return ob != null && ob.totalPendingWriteBytes() > 0;
    }

    /**
     * Forwards a FIN to {@code ch}: shuts its output once its queued bytes are written. It also turns
     * off half-closure on {@code ch}: with its output shut, the peer's FIN is all that can still
     * arrive, and it should close the channel at once. Left on, Netty would call shutdown(SHUT_RD)
     * on a socket the kernel has already closed, which fails with ENOTCONN and costs a
     * NotYetConnectedException with a stack trace on every connection.
     */
    static void forwardFin(Channel ch) {
        if (!(ch instanceof DuplexChannel d) || !ch.isActive()) {
            if (ch.isOpen()) {
                ch.close();
            }
            return;
        }
        if (d.isOutputShutdown()) {
            return;
        }
        if (ch.config() instanceof SocketChannelConfig sc) {
            sc.setAllowHalfClosure(false);
        }
        if (hasQueuedBytes(ch)) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                if (d.isActive()) {
                    shutdownOutput(d);
                } else {
                    ch.close();
                }
            });
        } else {
            shutdownOutput(d);
        }
    }

    /**
     * Sends FIN on {@code d} (nothing is queued on it): its peer side has sent FIN, so nothing more is
     * written to it. On epoll the system call directly, without the exception Netty's call builds for
     * an event no handler here reads (JFR: the only stack trace left per proxied connection); see
     * {@link NettyTransport#shutdownOutput}.
     */
    static void shutdownOutput(DuplexChannel d) {
        NettyTransport.shutdownOutput(d);
    }

    String describe() {
        return CloseLog.line(client, member, startNanos, bytesToMember, bytesFromMember, reason);
    }
}
