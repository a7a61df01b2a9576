package io.stickyring.chat.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A scripted WebSocket peer: records what the client sends, pushes whatever the test says. */
final class FakeNode implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    final BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();
    final AtomicInteger sessions = new AtomicInteger();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private volatile Channel session;

    FakeNode() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                                new WebSocketServerProtocolHandler("/ws"),
                                new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                                    @Override
                                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                                            session = ctx.channel();
                                            sessions.incrementAndGet();
                                        }
                                    }

                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame f) throws Exception {
                                        received.add(JSON.readTree(f.text()));
                                    }
                                });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort());
    }

    void push(String json) {
        session.writeAndFlush(new TextWebSocketFrame(json));
    }

    void closeSession(int code, String reason) {
        session.writeAndFlush(new CloseWebSocketFrame(code, reason));
    }

    /** The next frame of type {@code t} the client sent (others are skipped), within 10 s. */
    JsonNode next(String t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            JsonNode n = received.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (n == null) {
                throw new AssertionError("no '" + t + "' frame from the client within 10 s");
            }
            if (n.path("t").asText().equals(t)) {
                return n;
            }
        }
    }

    static String msg(String conv, long seq, long cursor) {
        return "{\"t\":\"msg\",\"conv\":\"" + conv + "\",\"seq\":" + seq + ",\"id\":\"id-" + conv + "-" + seq
                + "\",\"from\":\"bob\",\"body\":\"b" + seq + "\",\"ts\":1,\"cursor\":" + cursor + "}";
    }

    static String welcome() {
        return "{\"t\":\"welcome\",\"user\":\"alice\",\"node\":\"fake\",\"cursor\":1000,\"ip\":\"127.0.0.1\"}";
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
