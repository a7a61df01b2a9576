package io.stickyring.lb.proxy;

import io.netty.channel.ChannelFactory;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Makes a member socket of the member address's own family. Netty's epoll channel otherwise makes
 * every socket AF_INET6 (dual stack, where IPv6 is there) and clears IPV6_V6ONLY on it: one setsockopt
 * per member connect that an AF_INET socket for an IPv4 member does not need.
 *
 * <p>Invariant: {@link #newChannel()} (no address known) keeps Netty's default.
 */
public final class MemberChannelFactory implements ChannelFactory<Channel> {

    @Override
    public Channel newChannel() {
        return new EpollSocketChannel();
    }

    /** A channel for a connect to {@code remote}: AF_INET for an IPv4 address, Netty's default otherwise. */
    public Channel newChannel(SocketAddress remote) {
        if (remote instanceof InetSocketAddress a && a.getAddress() instanceof Inet4Address) {
            return new EpollSocketChannel(SocketProtocolFamily.INET);
        }
        return new EpollSocketChannel();
    }

    @Override
    public String toString() {
        return "MemberChannelFactory(EpollSocketChannel, family of the member address)";
    }
}
