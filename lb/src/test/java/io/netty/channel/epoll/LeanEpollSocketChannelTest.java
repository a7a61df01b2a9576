package io.netty.channel.epoll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketProtocolFamily;
import io.stickyring.cli.NettyTransport;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link LeanEpollSocketChannel} and {@link LeanEpollServerSocketChannel} over loopback on one epoll
 * loop (in Netty's package, to read the channels' interest sets): accepted and connected channels are
 * lean, carry the options, addresses and half-closure of Netty's own channels, and close cleanly.
 */
@Timeout(60)
class LeanEpollSocketChannelTest {

    private MultiThreadIoEventLoopGroup group;
    private Channel listener;
    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();

    @BeforeEach
    void loop() {
        Assumptions.assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    @AfterEach
    void close() throws Exception {
        if (listener != null) {
            listener.close().sync();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** A listener whose accepted channels answer with everything they got once their peer half-closes, then close. */
    private InetSocketAddress listen(String host) throws Exception {
        listener = new ServerBootstrap().group(group).channelFactory(() -> new LeanEpollServerSocketChannel(SocketProtocolFamily.INET))
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted.add(ch);
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            private final ByteBuf got = Unpooled.buffer();

                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                got.writeBytes((ByteBuf) msg);
                                ((ByteBuf) msg).release();
                            }

                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                if (evt instanceof ChannelInputShutdownEvent) {
                                    ctx.writeAndFlush(got).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
                                }
                            }
                        });
                    }
                })
                .bind(host, 0).sync().channel();
        return (InetSocketAddress) listener.localAddress();
    }

    /** Connects a lean channel that collects what it reads and completes {@code answer} at the peer's FIN. */
    private LeanEpollSocketChannel connect(InetSocketAddress to, CompletableFuture<String> answer) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        return (LeanEpollSocketChannel) new Bootstrap().group(group).channelFactory(() -> new LeanEpollSocketChannel(SocketProtocolFamily.INET))
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf b = (ByteBuf) msg;
                        byte[] bytes = new byte[b.readableBytes()];
                        b.readBytes(bytes);
                        b.release();
                        got.writeBytes(bytes);
                    }

                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt instanceof ChannelInputShutdownEvent) {
                            answer.complete(got.toString(StandardCharsets.UTF_8));
                            ctx.close();
                        }
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        answer.complete(got.toString(StandardCharsets.UTF_8) + "<closed>");
                    }
                })
                .connect(to).sync().channel();
    }

    private static String halfCloseExchange(LeanEpollSocketChannel c, CompletableFuture<String> answer, String request) throws Exception {
        c.writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.UTF_8)).sync();
        c.eventLoop().submit(() -> NettyTransport.shutdownOutput(c)).sync();
        return answer.get(10, TimeUnit.SECONDS);
    }

    @Test
    void acceptedAndConnectedChannelsAreLeanWithNettysOptionsAndAddressesAndHalfClose() throws Exception {
        InetSocketAddress server = listen("127.0.0.1");
        CompletableFuture<String> answer = new CompletableFuture<>();
        LeanEpollSocketChannel client = connect(server, answer);
        Channel child = accepted.poll(10, TimeUnit.SECONDS);

        assertThat(child).isInstanceOf(LeanEpollSocketChannel.class);
        LeanEpollSocketChannel ch = (LeanEpollSocketChannel) child;
        assertThat(ch.parent()).isSameAs(listener);
        assertThat(ch.localAddress()).as("accepted: the listener's address").isEqualTo(server);
        assertThat(ch.remoteAddress()).isEqualTo(client.localAddress());
        assertThat(client.remoteAddress()).isEqualTo(server);
        assertThat(client.parent()).isNull();

        // the options Netty's channel gives, read from the sockets
        assertThat(client.config().isTcpNoDelay()).as("connected: set").isTrue();
        assertThat(ch.config().isTcpNoDelay()).as("accepted: inherited from the listener").isTrue();
        assertThat(client.config().getSoLinger()).isEqualTo(-1);
        assertThat(ch.config().getSoLinger()).isEqualTo(-1);
        assertThat(ch.config().getOption(ChannelOption.ALLOW_HALF_CLOSURE)).isTrue();
        ch.config().setOption(EpollChannelOption.TCP_KEEPIDLE, 77);
        assertThat(ch.config().getOption(EpollChannelOption.TCP_KEEPIDLE)).isEqualTo(77);
        assertThat(ch.config().setOption(ChannelOption.SO_KEEPALIVE, true)).isTrue();
        assertThat(ch.config().isKeepAlive()).isTrue();
        assertThat(client.config().maxBytesPerGatheringWrite()).isEqualTo(LeanEpollSocketChannel.NEW_SOCKET_GATHERING_WRITE);
        assertThat(ch.config().maxBytesPerGatheringWrite()).isEqualTo(LeanEpollSocketChannel.ACCEPTED_SOCKET_GATHERING_WRITE);
        client.config().setSendBufferSize(65536); // Netty's recomputation from the buffer set
        assertThat(client.config().maxBytesPerGatheringWrite()).isEqualTo(2L * client.config().getSendBufferSize());

        // the connect's EPOLLOUT is out of the interest once connected (one EPOLL_CTL_MOD for it, not two)
        assertThat(client.eventLoop().submit(() -> client.isFlagSet(Native.EPOLLOUT)).get()).isFalse();
        assertThat(client.eventLoop().submit(() -> client.isFlagSet(Native.EPOLLIN)).get()).isTrue();

        assertThat(halfCloseExchange(client, answer, "hello, half-closed")).isEqualTo("hello, half-closed");
        client.closeFuture().sync();
        assertThat(child.closeFuture().await(10, TimeUnit.SECONDS)).as("accepted channel closed at the client's close").isTrue();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> !client.isRegistered() && !child.isRegistered());
        assertThat(client.fd().isOpen()).isFalse();
        assertThat(((LeanEpollSocketChannel) child).fd().isOpen()).isFalse();
    }

    /** Closing closes the socket before its registration is cancelled; descriptors reused by later connections work. */
    @Test
    void manyConnectionsOneAfterAnotherReuseDescriptorsCleanly() throws Exception {
        InetSocketAddress server = listen("127.0.0.1");
        for (int i = 0; i < 300; i++) {
            CompletableFuture<String> answer = new CompletableFuture<>();
            LeanEpollSocketChannel client = connect(server, answer);
            assertThat(halfCloseExchange(client, answer, "request " + i)).isEqualTo("request " + i);
            client.closeFuture().sync();
            Channel child = accepted.poll(10, TimeUnit.SECONDS);
            assertThat(child.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aWildcardListenerLeavesTheLocalAddressToTheAcceptedSocket() throws Exception {
        InetSocketAddress server = listen("0.0.0.0");
        CompletableFuture<String> answer = new CompletableFuture<>();
        LeanEpollSocketChannel client = connect(new InetSocketAddress("127.0.0.1", server.getPort()), answer);
        Channel child = accepted.poll(10, TimeUnit.SECONDS);
        assertThat(child.localAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", server.getPort()));
        assertThat(client.localAddress()).as("looked up on first use").isEqualTo(child.remoteAddress());
        client.close().sync();
    }

    /** SO_LINGER set through the config: read at close again, and the lingering close runs off the loop, as Netty's. */
    @Test
    void soLingerSetThroughTheConfigIsHonouredAtClose() throws Exception {
        InetSocketAddress server = listen("127.0.0.1");
        CompletableFuture<String> answer = new CompletableFuture<>();
        LeanEpollSocketChannel client = connect(server, answer);
        assertThat(client.config().lingerSet()).isFalse();
        client.config().setOption(ChannelOption.SO_LINGER, 1);
        assertThat(client.config().lingerSet()).isTrue();
        assertThat(client.config().getSoLinger()).isEqualTo(1);
        client.close().sync();
        assertThat(client.fd().isOpen()).isFalse();
        Channel child = accepted.poll(10, TimeUnit.SECONDS);
        assertThat(child.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aRefusedConnectFailsAndClosesTheChannel() throws Exception {
        InetSocketAddress closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closed = (InetSocketAddress) s.getLocalSocketAddress();
        }
        LeanEpollSocketChannel ch = new LeanEpollSocketChannel(SocketProtocolFamily.INET);
        ch.pipeline().addLast(new ChannelInboundHandlerAdapter());
        group.next().register(ch).sync();
        assertThatThrownBy(() -> ch.connect(closed).sync()).isInstanceOf(java.net.ConnectException.class);
        assertThat(ch.isActive()).isFalse();
        ch.close().sync();
        assertThat(ch.fd().isOpen()).isFalse();
    }
}
