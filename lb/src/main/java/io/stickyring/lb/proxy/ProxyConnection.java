package io.stickyring.lb.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.stickyring.lb.route.CloseReason;
import io.stickyring.lb.route.MemberRuntime;
import io.stickyring.lb.route.TrackedConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicReference;

/**
 * State of one proxied connection, shared by its frontend and backend handlers.
 *
 * <p>Invariant: all fields except {@code reason} and {@code backend} are touched only on the client
 * channel's event loop (the backend channel is registered on the same loop). The first close reason
 * recorded wins.
 */
public final class ProxyConnection implements TrackedConnection {

    final Channel frontend;
    volatile Channel backend;
    final long startNanos = System.nanoTime();
    private final AtomicReference<CloseReason> reason = new AtomicReference<>();
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
        return reason.get();
    }

    void setReason(CloseReason r) {
        reason.compareAndSet(null, r);
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

    static void closeOnFlush(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }

    String describe() {
        CloseReason r = reason.get();
        return "close client=" + (client == null ? "-" : client.getAddress().getHostAddress() + ":" + client.getPort())
                + " member=" + (member == null ? "-" : member.id())
                + " duration_ms=" + (System.nanoTime() - startNanos) / 1_000_000
                + " bytes_to_member=" + bytesToMember
                + " bytes_from_member=" + bytesFromMember
                + " reason=" + (r == null ? "client" : r.label());
    }
}
