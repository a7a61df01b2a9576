/*
 * Adapted from Netty 4.2.18's io.netty.channel.epoll.EpollServerSocketChannel
 * (Copyright 2014 The Netty Project, Apache License 2.0) for stickyring.
 */
package io.netty.channel.epoll;

import io.netty.channel.Channel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

import static io.netty.channel.epoll.Native.IS_SUPPORTING_TCP_FASTOPEN_SERVER;
import static io.netty.channel.unix.NativeInetAddress.address;

/**
 * Netty's {@code EpollServerSocketChannel} (final, so copied onto the same public base class) whose
 * accepted channels are {@link LeanEpollSocketChannel}s. It sets {@code TCP_NODELAY} on the listening
 * socket once (where Netty enables it by default), so that the accepted sockets inherit it and
 * their channels need not set it one by one.
 */
public final class LeanEpollServerSocketChannel extends AbstractEpollServerChannel implements ServerSocketChannel {

    private final LeanEpollServerSocketChannelConfig config;
    /** The local address of every accepted socket when the listener is bound to one address, else null. */
    private volatile InetSocketAddress childLocal;

    /** A listening socket of Netty's default family (dual-stack AF_INET6 where IPv6 is there). */
    public LeanEpollServerSocketChannel() {
        this(null);
    }

    /** A listening socket of {@code family} ({@code null}: Netty's default). */
    public LeanEpollServerSocketChannel(SocketProtocolFamily family) {
        super(family == null ? LinuxSocket.newSocketStream() : LinuxSocket.newSocketStream(family), false);
        config = new LeanEpollServerSocketChannelConfig(this);
        if (PlatformDependent.canEnableTcpNoDelayByDefault()) {
            try {
                socket.setTcpNoDelay(true); // inherited by every accepted socket
            } catch (IOException e) {
                try {
                    socket.close();
                } catch (IOException ignore) {
                    // nothing more to do
                }
                throw new io.netty.channel.ChannelException(e);
            }
        }
    }

    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        super.doBind(localAddress);
        InetSocketAddress bound = localAddress();
        // bound to one address (not a wildcard, not IP_TRANSPARENT): every socket it accepts has it
        childLocal = bound != null && !bound.getAddress().isAnyLocalAddress() && !config.isIpTransparent() ? bound : null;
        final int tcpFastopen;
        if (IS_SUPPORTING_TCP_FASTOPEN_SERVER && (tcpFastopen = config.getTcpFastopen()) > 0) {
            socket.setTcpFastOpen(tcpFastopen);
        }
        socket.listen(config.getBacklog());
        active = true;
        submitCurrentOps();
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
    public LeanEpollServerSocketChannelConfig config() {
        return config;
    }

    @Override
    protected Channel newChildChannel(int fd, byte[] address, int offset, int len) throws Exception {
        return new LeanEpollSocketChannel(this, new LinuxSocket(fd), address(address, offset, len), childLocal);
    }
}
