package io.stickyring.lb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelOutputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Member connections opened without a Bootstrap clone ({@link MemberConnector}) get the template's
 * options, attributes and the handler, on the client's event loop; and a forwarded FIN on epoll
 * shuts the socket's output without Netty's exception-building shutdownOutput path.
 */
@Timeout(30)
class MemberConnectorTest extends EpollLoopbackTest {

    private static final AttributeKey<String> TAG = AttributeKey.valueOf("member-connector-test");


    private Bootstrap template() {
        return template(new Bootstrap().channel(EpollSocketChannel.class));
    }

    private static Bootstrap template(Bootstrap b) {
        return b
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 1234)
                .attr(TAG, "m");
    }

    private ChannelFuture connectOnLoop(MemberConnector c, io.netty.channel.ChannelHandler h, InetSocketAddress to) throws Exception {
        EventLoop loop = group.next();
        return loop.submit(() -> c.connect(loop, h, to)).get(10, TimeUnit.SECONDS);
    }

    /**
     * A member channel's read interest rides on its connect's EPOLL_CTL_ADD: it is set before the
     * channel is registered (no epoll_ctl of its own) and stays set through the connect, so turning
     * reading on once connected costs no system call; the half-close workaround is kept as well.
     */
    @Test
    void memberChannelsCarryTheirReadInterestFromBeforeRegistration() throws Exception {
        MemberChannelFactory f = new MemberChannelFactory(io.stickyring.cli.NettyTransport.select(io.stickyring.cli.TransportKind.EPOLL));
        InetSocketAddress to = new InetSocketAddress("127.0.0.1", server.getLocalPort());
        MemberConnector c = new MemberConnector(template(new Bootstrap().channelFactory(f)));
        Channel fresh = c.newChannel(new ChannelInboundHandlerAdapter(), to);
        try {
            assertThat(fresh.isRegistered()).isFalse();
            assertThat(fresh.config().isAutoRead()).as("the template's AUTO_READ off").isFalse();
            assertThat(io.stickyring.cli.NettyTransport.readInterestSet(fresh)).as("read interest before registration").isTrue();
            assertThat(io.stickyring.cli.NettyTransport.keepsWritableAfterHalfClose(fresh)).isTrue();
        } finally {
            fresh.unsafe().closeForcibly();
        }
        ChannelFuture cf = connectOnLoop(c, new ChannelInboundHandlerAdapter(), to);
        try (Socket accepted = server.accept()) {
            assertThat(cf.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(cf.isSuccess()).isTrue();
            assertThat(cf.channel().config().isAutoRead()).as("the template's AUTO_READ off").isFalse();
            assertThat(io.stickyring.cli.NettyTransport.readInterestSet(cf.channel())).as("read interest once connected").isTrue();
            cf.channel().close().sync();
        }
    }

    @Test
    void connectsWithTheTemplatesOptionsAttributesAndHandlerOnTheGivenLoop() throws Exception {
        ChannelInboundHandlerAdapter handler = new ChannelInboundHandlerAdapter();
        ChannelFuture f = connectOnLoop(new MemberConnector(template()), handler,
                new InetSocketAddress("127.0.0.1", server.getLocalPort()));
        try (Socket accepted = server.accept()) {
            assertThat(f.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(f.isSuccess()).isTrue();
            Channel ch = f.channel();
            assertThat(ch.config().isAutoRead()).isFalse();
            assertThat(ch.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
            assertThat(ch.config().getOption(ChannelOption.ALLOW_HALF_CLOSURE)).isTrue();
            assertThat(ch.config().getConnectTimeoutMillis()).isEqualTo(1234);
            assertThat(ch.attr(TAG).get()).isEqualTo("m");
            assertThat(ch.pipeline().last()).isSameAs(handler);
            assertThat(ch.eventLoop().inEventLoop(Thread.currentThread())).isFalse();
            assertThat(accepted.getPort()).isEqualTo(((InetSocketAddress) ch.localAddress()).getPort());
            ch.close().sync();
        }
    }

    @Test
    void aRefusedConnectFailsTheFuture() throws Exception {
        int port = server.getLocalPort();
        server.close(); // nothing listens there now
        ChannelFuture f = connectOnLoop(new MemberConnector(template()), new ChannelInboundHandlerAdapter(),
                new InetSocketAddress("127.0.0.1", port));
        assertThat(f.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(f.isSuccess()).isFalse();
        f.channel().close().sync();
    }

    @Test
    void aSocketThatCannotBeMadeThrowsChannelException() {
        Bootstrap noSockets = new Bootstrap().channelFactory(() -> {
            throw new ChannelException("newSocketStream(..) failed: Too many open files");
        });
        MemberConnector c = new MemberConnector(noSockets);
        assertThatThrownBy(() -> c.connect(group.next(), new ChannelInboundHandlerAdapter(),
                new InetSocketAddress("127.0.0.1", 1))).isInstanceOf(ChannelException.class);
    }

    @Test
    void forwardedFinOnEpollShutsOutputWithoutNettysShutdownEvent() throws Exception {
        List<Object> events = new CopyOnWriteArrayList<>();
        ChannelInboundHandlerAdapter recorder = new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                events.add(evt);
                ctx.fireUserEventTriggered(evt);
            }
        };
        ChannelFuture f = connectOnLoop(new MemberConnector(template()), recorder,
                new InetSocketAddress("127.0.0.1", server.getLocalPort()));
        try (Socket accepted = server.accept()) {
            assertThat(f.await(10, TimeUnit.SECONDS)).isTrue();
            DuplexChannel ch = (DuplexChannel) f.channel();
            ch.eventLoop().submit(() -> ProxyConnection.forwardFin(ch)).get(10, TimeUnit.SECONDS);
            accepted.setSoTimeout(10_000);
            assertThat(accepted.getInputStream().read()).isEqualTo(-1); // the peer got our FIN
            assertThat(ch.isOutputShutdown()).isTrue();
            assertThat(ch.isOpen()).isTrue(); // half-closed, not closed
            // Netty's shutdownOutput() fires this event after building a ChannelOutputShutdownException
            // with a stack trace; the direct shutdown(SHUT_WR) does neither
            assertThat(events).noneMatch(e -> e instanceof ChannelOutputShutdownEvent);
            ch.close().sync();
        }
    }

    @Test
    void anIpv4MemberGetsAnAfInetSocketWithoutTheDualStackSetsockopt() throws Exception {
        Bootstrap t = template(new Bootstrap().channelFactory(new MemberChannelFactory(io.stickyring.cli.NettyTransport.select(io.stickyring.cli.TransportKind.EPOLL))));
        ChannelFuture f = connectOnLoop(new MemberConnector(t), new ChannelInboundHandlerAdapter(),
                new InetSocketAddress("127.0.0.1", server.getLocalPort()));
        try (Socket accepted = server.accept()) {
            assertThat(f.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(f.isSuccess()).isTrue();
            // an AF_INET socket is listed in /proc/net/tcp; Netty's default (AF_INET6, IPV6_V6ONLY cleared)
            // in /proc/net/tcp6
            assertThat(socketTable(f.channel())).isEqualTo("tcp");
            assertThat(accepted.getPort()).isEqualTo(((InetSocketAddress) f.channel().localAddress()).getPort());
            f.channel().close().sync();
        }
    }

    @Test
    void anIpv6MemberKeepsAnAfInet6Socket() throws Exception {
        java.net.InetAddress v6 = java.net.InetAddress.getByName("::1");
        ServerSocket s6;
        try {
            s6 = new ServerSocket(0, 50, v6);
        } catch (java.io.IOException e) {
            Assumptions.abort("no IPv6 loopback here: " + e);
            return;
        }
        try (s6) {
            s6.setSoTimeout(10_000);
            Bootstrap t = template(new Bootstrap().channelFactory(new MemberChannelFactory(io.stickyring.cli.NettyTransport.select(io.stickyring.cli.TransportKind.EPOLL))));
            ChannelFuture f = connectOnLoop(new MemberConnector(t), new ChannelInboundHandlerAdapter(),
                    new InetSocketAddress(v6, s6.getLocalPort()));
            try (Socket accepted = s6.accept()) {
                assertThat(f.await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(f.isSuccess()).isTrue();
                assertThat(socketTable(f.channel())).isEqualTo("tcp6");
                f.channel().close().sync();
            }
        }
    }

    /** "tcp" or "tcp6": which of /proc/self/net's tables lists the channel's socket (by inode). */
    private static String socketTable(Channel ch) throws Exception {
        return io.stickyring.lb.support.SocketTables.of(ch);
    }
}
