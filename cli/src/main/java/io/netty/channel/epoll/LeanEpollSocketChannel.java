/*
 * Adapted from Netty 4.2.18's io.netty.channel.epoll.EpollSocketChannel
 * (Copyright 2014 The Netty Project, Apache License 2.0) for stickyring.
 */
package io.netty.channel.epoll;

import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executor;


/**
 * stickyring's epoll socket channel for proxied connections (the LB's member channels, and the
 * channels its {@link LeanEpollServerSocketChannel} listeners accept): Netty's {@code EpollSocketChannel}
 * (final, so copied onto the same public base class) without three kinds of per-socket system calls
 * that Netty makes for its own bookkeeping:
 *
 * <ul>
 *   <li>{@code getsockopt(SO_SNDBUF)} in the config's constructor, which Netty doubles into the first
 *   limit of a gathering write. Here that limit is fixed at what Netty computes for the kernel's default
 *   send buffer: twice {@code net.ipv4.tcp_wmem}'s default for a new (member) socket, whose buffer is
 *   still the default when Netty reads it, and twice its maximum for an accepted socket, whose buffer the
 *   kernel has already grown at the handshake (on loopback to 3.9 MB of the 4 MB maximum). Either way it
 *   is only a start: Netty doubles it after every gathering write the socket takes whole and halves it
 *   after one it takes less than half of.</li>
 *   <li>{@code setsockopt(TCP_NODELAY)} in the config's constructor, for accepted sockets: they inherit
 *   it from the listening socket, which {@link LeanEpollServerSocketChannel} sets it on. Member
 *   sockets still get it, as from Netty.</li>
 *   <li>{@code getsockopt(SO_LINGER)} at every close (and every {@code shutdownInput}), there to hand a
 *   lingering close to another thread. Here only when {@code SO_LINGER} was set above 0 through the
 *   config; the LB sets none.</li>
 * </ul>
 *
 * Reads, writes, half-closure and splice are Netty's own code in {@link AbstractEpollStreamChannel}.
 * The config takes the options the LB sets (and those every socket channel has); TCP fast open,
 * {@code TCP_MD5SIG}, {@code TCP_CORK}, {@code TCP_QUICKACK}, {@code TCP_NOTSENT_LOWAT},
 * {@code IP_TRANSPARENT}, {@code IP_BIND_ADDRESS_NO_PORT} and {@code SO_BUSY_POLL} of Netty's channel
 * are left out, refused as unknown options.
 */
public final class LeanEpollSocketChannel extends AbstractEpollStreamChannel implements SocketChannel {

    /** Twice net.ipv4.tcp_wmem's default (Netty's figure for a new socket): 32 KiB with Linux's defaults. */
    static final long NEW_SOCKET_GATHERING_WRITE;
    /** Twice net.ipv4.tcp_wmem's maximum (about Netty's figure for an accepted socket): 8 MiB with Linux's defaults. */
    static final long ACCEPTED_SOCKET_GATHERING_WRITE;

    static {
        long def = 16384;
        long max = 4194304;
        try {
            String[] w = Files.readString(Path.of("/proc/sys/net/ipv4/tcp_wmem")).trim().split("\\s+");
            def = Long.parseLong(w[1]);
            max = Long.parseLong(w[2]);
        } catch (IOException | RuntimeException e) {
            // Linux's defaults
        }
        NEW_SOCKET_GATHERING_WRITE = def << 1;
        ACCEPTED_SOCKET_GATHERING_WRITE = max << 1;
    }

    private final LeanEpollSocketChannelConfig config;
    /** An accepted channel's listener (Netty's base class is given none, see the constructor). */
    private final LeanEpollServerSocketChannel parent;
    /** An accepted channel's peer, or a member channel's when its connect completed at once. */
    private volatile SocketAddress remote;
    /** The local address: the listener's for an accepted channel, else looked up on first use. */
    private volatile SocketAddress local;

    /**
     * {@code AbstractEpollChannel.ops}, the interest set, for {@link #clearFlag}; null where private
     * access is refused (then Netty's own {@code clearFlag} runs).
     */
    private static final java.lang.invoke.VarHandle OPS;

    static {
        java.lang.invoke.VarHandle h = null;
        try {
            h = java.lang.invoke.MethodHandles.privateLookupIn(AbstractEpollChannel.class, java.lang.invoke.MethodHandles.lookup())
                    .findVarHandle(AbstractEpollChannel.class, "ops", EpollIoOps.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Netty's clearFlag then
        }
        OPS = h;
    }

    /** A new socket of Netty's default family (dual-stack AF_INET6 where IPv6 is there). */
    public LeanEpollSocketChannel() {
        this((SocketProtocolFamily) null);
    }

    /** A new socket of {@code family} ({@code null}: Netty's default), for a connect. */
    public LeanEpollSocketChannel(SocketProtocolFamily family) {
        super(family == null ? LinuxSocket.newSocketStream() : LinuxSocket.newSocketStream(family), false);
        parent = null;
        config = new LeanEpollSocketChannelConfig(this, NEW_SOCKET_GATHERING_WRITE, true);
    }

    /**
     * An accepted socket ({@link LeanEpollServerSocketChannel#newChildChannel}), active from the start.
     * Netty's accepting constructor reads the socket's local address ({@code getsockname}); this one
     * takes {@code localAddress} when the listener knows it (bound to one address), else looks it up
     * on first use. Hence the base class's parentless constructor, with the parent kept here.
     */
    LeanEpollSocketChannel(LeanEpollServerSocketChannel parent, LinuxSocket fd, InetSocketAddress remoteAddress,
                           InetSocketAddress localAddress) {
        super(fd, false);
        this.parent = parent;
        this.active = true;
        this.remote = remoteAddress;
        this.local = localAddress;
        config = new LeanEpollSocketChannelConfig(this, ACCEPTED_SOCKET_GATHERING_WRITE, false);
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public LeanEpollSocketChannelConfig config() {
        return config;
    }

    @Override
    public ServerSocketChannel parent() {
        return parent;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        SocketAddress r = super.remoteAddress0();
        return r != null ? r : remote;
    }

    /**
     * The local address, looked up ({@code getsockname}) on first use rather than at every connect
     * (Netty's {@code doConnect}) or accept: the LB asks for a member channel's never and for an accepted
     * channel's once, which its listener answers when bound to one address.
     */
    @Override
    protected SocketAddress localAddress0() {
        SocketAddress l = local;
        if (l == null) {
            l = super.localAddress0(); // set by a bind
            if (l == null && socket.isOpen()) {
                l = socket.localAddress();
            }
            local = l;
        }
        return l;
    }

    /**
     * Netty's {@code AbstractEpollChannel.doConnect} without its {@code getsockname} for the local
     * address ({@link #localAddress0} looks it up when asked).
     */
    @Override
    protected boolean doConnect(SocketAddress remoteAddress, SocketAddress localAddress) throws Exception {
        if (localAddress instanceof InetSocketAddress) {
            checkResolvable((InetSocketAddress) localAddress);
        }
        InetSocketAddress remoteSocketAddr = remoteAddress instanceof InetSocketAddress
                ? (InetSocketAddress) remoteAddress : null;
        if (remoteSocketAddr != null) {
            checkResolvable(remoteSocketAddr);
        }
        if (remoteAddress0() != null) {
            throw new java.nio.channels.AlreadyConnectedException();
        }
        if (localAddress != null) {
            socket.bind(localAddress);
        }
        boolean connected = doConnect0(remoteAddress);
        if (connected) {
            remote = remoteSocketAddr == null ? remoteAddress
                    : io.netty.channel.unix.UnixChannelUtil.computeRemoteAddr(remoteSocketAddr, socket.remoteAddress());
        }
        local = null; // bound now: looked up on first use
        return connected;
    }

    @Override
    protected AbstractEpollUnsafe newUnsafe() {
        return new LeanUnsafe();
    }

    private final class LeanUnsafe extends EpollStreamUnsafe {
        /**
         * As Netty's, with {@code EPOLLRDHUP} taken out of the interest at once (not submitted): on a
         * half-closure (the peer's FIN under {@code ALLOW_HALF_CLOSURE}) Netty takes {@code EPOLLIN} out
         * of the interest (once the channel stops reading) and {@code EPOLLRDHUP} right after
         * ({@code epollRdHupReady}), an {@code EPOLL_CTL_MOD} each. Here the first carries both and the
         * second finds nothing to change. Nothing is lost: the input's end has been read, and a later
         * {@code EPOLLRDHUP} would only make Netty find that end again. Until a submit the kernel may
         * still report {@code EPOLLIN}/{@code EPOLLRDHUP}, which a shut input always answers (level
         * triggered), and Netty's handling of that event takes {@code EPOLLIN} out with its own submit,
         * so kernel and interest agree again; errors and hang-ups are reported whatever the interest.
         */
        @Override
        void shutdownInput(boolean allDataRead) {
            if (OPS != null && isOpen() && isRegistered() && !socket.isInputShutdown() && config.isAllowHalfClosure()) {
                EpollIoOps ops = (EpollIoOps) OPS.get(LeanEpollSocketChannel.this);
                if (ops.contains(Native.EPOLLIN) && ops.contains(Native.EPOLLRDHUP)) {
                    OPS.set(LeanEpollSocketChannel.this, ops.without(EpollIoOps.valueOf(Native.EPOLLRDHUP)));
                }
            }
            super.shutdownInput(allDataRead);
        }

        @Override
        protected Executor prepareToClose() {
            if (!config.lingerSet()) {
                return null; // no SO_LINGER set through the config: no getsockopt at each close
            }
            try {
                // as Netty's EpollSocketChannel (netty/netty#4449): a lingering close blocks, so it runs
                // elsewhere and the registration is cancelled first
                if (isOpen() && config.getSoLinger() > 0) {
                    registration().cancel();
                    return GlobalEventExecutor.INSTANCE;
                }
            } catch (Throwable ignore) {
                // the descriptor may be closed meanwhile
            }
            return null;
        }
    }

    /**
     * As Netty's, except when a connect completes: Netty then takes {@code EPOLLOUT} out of the interest
     * ({@code EPOLL_CTL_MOD}) and submits the same interest again right after, when it marks the channel
     * active ({@code fulfillConnectPromise}: a second, identical {@code EPOLL_CTL_MOD}). Here the first
     * only updates the interest, and the second submits it. A channel is inactive and has
     * {@code EPOLLOUT} cleared only there (a write clears it once the channel is active).
     */
    @Override
    void clearFlag(int flag) throws IOException {
        if (flag == Native.EPOLLOUT && !isActive() && OPS != null && isOpen() && isRegistered()) {
            EpollIoOps ops = (EpollIoOps) OPS.get(this);
            if (ops.contains(flag)) {
                OPS.set(this, ops.without(EpollIoOps.valueOf(flag)));
            }
            return;
        }
        super.clearFlag(flag);
    }
}
