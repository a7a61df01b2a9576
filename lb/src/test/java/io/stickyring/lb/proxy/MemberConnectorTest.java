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
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Member connections opened without a Bootstrap clone ({@link MemberConnector}) get the template's
 * options, attributes and the handler, on the client's event loop; and a forwarded FIN on epoll
 * shuts the socket's output without Netty's exception-building shutdownOutput path.
 */
@Timeout(30)
class MemberConnectorTest {

    private static final AttributeKey<String> TAG = AttributeKey.valueOf("member-connector-test");

    private MultiThreadIoEventLoopGroup group;
    private ServerSocket server;

    @BeforeEach
    void setUp() throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        server = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"));
        server.setSoTimeout(10_000);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private Bootstrap template() {
        return new Bootstrap().channel(EpollSocketChannel.class)
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
}
