package io.stickyring.lb.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.stickyring.cli.NettyTransport;
import java.net.SocketAddress;

/**
 * Makes a member socket of the member address's own family ({@link NettyTransport#newSocketChannel}).
 * Netty's epoll channel otherwise makes every socket AF_INET6 (dual stack, where IPv6 is there) and
 * clears IPV6_V6ONLY on it: one setsockopt per member connect that an AF_INET socket for an IPv4 member
 * does not need.
 *
 * <p>Invariant: {@link #newChannel()} (no address known) keeps the transport's default.
 */
public final class MemberChannelFactory implements ChannelFactory<Channel> {

    private final NettyTransport transport;

    public MemberChannelFactory(NettyTransport transport) {
        this.transport = transport;
    }

    @Override
    public Channel newChannel() {
        return transport.newSocketChannel(null);
    }

    /** A channel for a connect to {@code remote}: AF_INET for an IPv4 address on epoll. */
    public Channel newChannel(SocketAddress remote) {
        return transport.newSocketChannel(remote);
    }

    @Override
    public String toString() {
        return "MemberChannelFactory(" + transport.name() + ", family of the member address)";
    }
}
