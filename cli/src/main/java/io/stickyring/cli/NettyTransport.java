package io.stickyring.cli;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.LeanEpollServerSocketChannel;
import io.netty.channel.epoll.LeanEpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The one Netty transport choice of every stickyring server and client (the LB's proxy and admin,
 * the chat node, the chat client and loadgen): native epoll, native io_uring or NIO, with its channel
 * classes and the Linux TCP options it names. Epoll falls back to NIO where it is unavailable; io_uring is never
 * silently replaced: {@link #select} refuses it with the kernel's reason.
 *
 * <p>Both native transports give SO_REUSEPORT (one listening socket per I/O event loop),
 * TCP_USER_TIMEOUT and per-socket keepalive timers; NIO gives none of these.
 */
public record NettyTransport(TransportKind kind, IoHandlerFactory ioHandlerFactory,
                        Class<? extends ServerChannel> serverChannel,
                        Class<? extends SocketChannel> socketChannel) {

    /**
     * Sends FIN on {@code d} (the caller has nothing queued on it). On epoll this is the
     * shutdown(SHUT_WR) system call on the socket itself: Netty's {@code shutdownOutput()} builds a
     * ChannelOutputShutdownException with a full stack trace on every call, even a successful one.
     * Netty's channel still sees the output as shut ({@code isOutputShutdown()} reads the socket's
     * state). A failing shutdown (the peer reset meanwhile) closes the channel. Other transports use
     * Netty's call.
     */
    public static void shutdownOutput(io.netty.channel.socket.DuplexChannel d) {
        if (d instanceof io.netty.channel.epoll.AbstractEpollStreamChannel ep && ep.fd() instanceof io.netty.channel.unix.Socket socket) {
            try {
                socket.shutdown(false, true);
            } catch (java.io.IOException e) {
                d.close();
            }
            return;
        }
        d.shutdownOutput(d.voidPromise());
    }

    /**
     * Makes {@code ch} keep writing after its peer half-closes: on epoll it keeps the channel's
     * descriptor in the epoll set, which Netty 4.2.18 otherwise drops once a half-closed socket has
     * nothing left to read, failing the next write that has to wait
     * ({@link io.netty.channel.epoll.EpollHalfClosure}). Call it before the channel is registered,
     * where it costs no system call: {@link #newSocketChannel} does for the channels it makes, the
     * LB's listeners for every accepted channel. Other transports: nothing.
     */
    public static void keepWritableAfterHalfClose(io.netty.channel.Channel ch) {
        io.netty.channel.epoll.EpollHalfClosure.keepRegistered(ch);
    }

    /**
     * As {@link #keepWritableAfterHalfClose}, and the channel's read interest is in place from its
     * registration: the first {@code read()} then costs no {@code epoll_ctl}
     * ({@link io.netty.channel.epoll.EpollHalfClosure#keepRegisteredAndReadable}). Only for channels that
     * read as soon as they are active or connected, called before registration. Other transports:
     * nothing.
     */
    public static void keepWritableAndReadable(io.netty.channel.Channel ch) {
        io.netty.channel.epoll.EpollHalfClosure.keepRegisteredAndReadable(ch);
    }

    /** Whether {@code ch}'s read interest is set (epoll channels only; see {@link #keepWritableAndReadable}). */
    public static boolean readInterestSet(io.netty.channel.Channel ch) {
        return io.netty.channel.epoll.EpollHalfClosure.readable(ch);
    }

    /** Whether {@link #keepWritableAfterHalfClose} is in force on {@code ch} (epoll channels only). */
    public static boolean keepsWritableAfterHalfClose(io.netty.channel.Channel ch) {
        return io.netty.channel.epoll.EpollHalfClosure.kept(ch);
    }

    public static NettyTransport select(TransportKind kind) {
        switch (kind) {
            case IO_URING -> {
                if (!IoUring.isAvailable()) {
                    throw new IllegalStateException("transport (io_uring) is not available here: "
                            + IoUring.unavailabilityCause());
                }
                return new NettyTransport(TransportKind.IO_URING, IoUringIoHandler.newFactory(),
                        IoUringServerSocketChannel.class, IoUringSocketChannel.class);
            }
            case EPOLL -> {
                if (Epoll.isAvailable()) {
                    return new NettyTransport(TransportKind.EPOLL, EpollIoHandler.newFactory(),
                            EpollServerSocketChannel.class, EpollSocketChannel.class);
                }
            }
            default -> {
            }
        }
        return new NettyTransport(TransportKind.NIO, NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }

    /**
     * A listening channel for the LB's proxied connections on {@code local}. On epoll a
     * {@link LeanEpollServerSocketChannel}, whose accepted channels are {@link LeanEpollSocketChannel}s
     * (Netty's epoll channels without its per-socket {@code SO_SNDBUF}, {@code TCP_NODELAY} and
     * {@code SO_LINGER} system calls); an IPv4 address gets an AF_INET socket, so every connection it
     * accepts is AF_INET too: Netty's default is a dual-stack AF_INET6 socket whose accepted IPv4
     * connections carry v4-mapped addresses (`::ffff:a.b.c.d`) through the kernel's mapped-address paths
     * and Netty's address decoding. An IPv6 or wildcard IPv6 address: Netty's default family. Other
     * transports: the transport's default channel.
     */
    public io.netty.channel.ServerChannel newServerChannel(java.net.SocketAddress local) {
        if (kind == TransportKind.EPOLL) {
            return new LeanEpollServerSocketChannel(local instanceof java.net.InetSocketAddress a
                    && a.getAddress() instanceof java.net.Inet4Address ? io.netty.channel.socket.SocketProtocolFamily.INET : null);
        }
        try {
            return serverChannel.getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new io.netty.channel.ChannelException("cannot make a " + serverChannel.getSimpleName(), e);
        }
    }

    /**
     * A client socket channel for the LB's connect to a member at {@code remote}. On epoll a
     * {@link LeanEpollSocketChannel} (see {@link #newServerChannel}); an IPv4 address gets an AF_INET
     * socket: Netty's default is a dual-stack AF_INET6 one, which costs an extra setsockopt
     * (IPV6_V6ONLY) per socket. Other transports: the transport's default channel.
     */
    public Channel newSocketChannel(java.net.SocketAddress remote) {
        if (kind == TransportKind.EPOLL) {
            LeanEpollSocketChannel ch = new LeanEpollSocketChannel(remote instanceof java.net.InetSocketAddress a
                    && a.getAddress() instanceof java.net.Inet4Address ? io.netty.channel.socket.SocketProtocolFamily.INET : null);
            keepWritableAfterHalfClose(ch); // before registration: no system call
            return ch;
        }
        try {
            return socketChannel.getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new io.netty.channel.ChannelException("cannot make a " + socketChannel.getSimpleName(), e);
        }
    }

    /** True for epoll and io_uring: SO_REUSEPORT and the per-socket Linux TCP options below work. */
    public boolean nativeLinux() {
        return kind != TransportKind.NIO;
    }

    public ChannelOption<Integer> tcpKeepIdle() {
        return kind == TransportKind.IO_URING ? IoUringChannelOption.TCP_KEEPIDLE : EpollChannelOption.TCP_KEEPIDLE;
    }

    public ChannelOption<Integer> tcpKeepIntvl() {
        return kind == TransportKind.IO_URING ? IoUringChannelOption.TCP_KEEPINTVL : EpollChannelOption.TCP_KEEPINTVL;
    }

    public ChannelOption<Integer> tcpKeepCnt() {
        return kind == TransportKind.IO_URING ? IoUringChannelOption.TCP_KEEPCNT : EpollChannelOption.TCP_KEEPCNT;
    }

    public ChannelOption<Integer> tcpUserTimeout() {
        return kind == TransportKind.IO_URING ? IoUringChannelOption.TCP_USER_TIMEOUT : EpollChannelOption.TCP_USER_TIMEOUT;
    }

    public MultiThreadIoEventLoopGroup newGroup(int threads, String name) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), ioHandlerFactory);
    }

    public String name() {
        return kind.label();
    }
}
