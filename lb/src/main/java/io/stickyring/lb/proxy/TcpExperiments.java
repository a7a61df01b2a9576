package io.stickyring.lb.proxy;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.uring.IoUringChannelOption;
import io.stickyring.lb.config.TransportKind;

/**
 * Measurement-only TCP switches (issue 14), off unless a system property sets them; not lb flags:
 * <ul>
 *   <li>{@code -Dstickyring.lb.tcp-defer-accept=SECONDS}: TCP_DEFER_ACCEPT on the listening sockets
 *       (the kernel hands over a connection only once the client has sent data). Never a default for a
 *       protocol-agnostic balancer: a protocol where the server speaks first (SMTP, MySQL, the storm
 *       benchmark's members) would stall for SECONDS.</li>
 *   <li>{@code -Dstickyring.lb.member-quickack=false}: TCP_QUICKACK off on member sockets before connect
 *       (HAProxy's {@code tcp-smart-connect}): the handshake's last ACK is delayed and rides on the first
 *       forwarded bytes.</li>
 * </ul>
 * Native transports only; NIO ignores them. docs/lb.md has the measurements.
 */
public final class TcpExperiments {

    static final int DEFER_ACCEPT = Integer.getInteger("stickyring.lb.tcp-defer-accept", 0);
    static final String MEMBER_QUICKACK = System.getProperty("stickyring.lb.member-quickack", "");

    private TcpExperiments() {
    }

    /** Applies the switches that are set to the listener ({@code child}) or member bootstrap. */
    public static void apply(Transport transport, AbstractBootstrap<?, ?> b, boolean child) {
        if (!transport.nativeLinux()) {
            return;
        }
        boolean uring = transport.kind() == TransportKind.IO_URING;
        if (child && DEFER_ACCEPT > 0) {
            ((ServerBootstrap) b).option(uring ? IoUringChannelOption.TCP_DEFER_ACCEPT : EpollChannelOption.TCP_DEFER_ACCEPT,
                    DEFER_ACCEPT);
        }
        if (!child && !MEMBER_QUICKACK.isEmpty()) {
            b.option(uring ? IoUringChannelOption.TCP_QUICKACK : EpollChannelOption.TCP_QUICKACK,
                    Boolean.parseBoolean(MEMBER_QUICKACK));
        }
    }
}
