package io.stickyring.chat.server;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The client's address as the node should report it: the source from a PROXY protocol header when
 * one was accepted, else the TCP peer.
 */
public final class ClientAddress {
    static final AttributeKey<InetSocketAddress> PROXIED = AttributeKey.valueOf("stickyring.proxiedClient");

    private ClientAddress() {
    }

    public static InetSocketAddress of(Channel ch) {
        InetSocketAddress proxied = ch.attr(PROXIED).get();
        if (proxied != null) {
            return proxied;
        }
        SocketAddress remote = ch.remoteAddress();
        return remote instanceof InetSocketAddress isa ? isa : null;
    }

    /** The IP as text ("127.0.0.5"), or null when unknown. */
    public static String ip(Channel ch) {
        InetSocketAddress a = of(ch);
        return a == null ? null : a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    }
}
