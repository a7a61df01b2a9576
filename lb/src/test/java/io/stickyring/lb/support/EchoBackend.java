package io.stickyring.lb.support;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.stickyring.membership.Member;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test member: on connect it writes its id and a newline (in PROXY mode: "ID SRC_IP:SRC_PORT" from
 * the decoded header), then echoes every byte; a client FIN makes it flush and close. {@link #stop}
 * closes the listener and every connection at once, like a killed process.
 */
public final class EchoBackend implements AutoCloseable {

    private final String id;
    private final Channel server;
    private final ChannelGroup children = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicInteger accepted = new AtomicInteger();

    public EchoBackend(String id, EventLoopGroup group, boolean expectProxyHeader) throws InterruptedException {
        this.id = id;
        this.server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        children.add(ch);
                        accepted.incrementAndGet();
                        if (expectProxyHeader) {
                            ch.pipeline().addLast(new HAProxyMessageDecoder());
                        }
                        ch.pipeline().addLast(new Echo(expectProxyHeader));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    public String id() {
        return id;
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public Member member() {
        return Member.of(id, "127.0.0.1", port());
    }

    public int openConnections() {
        return children.size();
    }

    public int accepted() {
        return accepted.get();
    }

    public void stop() {
        server.close().syncUninterruptibly();
        children.close().syncUninterruptibly();
    }

    @Override
    public void close() {
        stop();
    }

    private final class Echo extends ChannelInboundHandlerAdapter {
        private final boolean proxy;

        Echo(boolean proxy) {
            this.proxy = proxy;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (!proxy) {
                ctx.writeAndFlush(Unpooled.copiedBuffer(id + "\n", StandardCharsets.UTF_8));
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HAProxyMessage h) {
                String line = id + " " + h.protocolVersion() + " " + h.sourceAddress() + ":" + h.sourcePort()
                        + " " + h.destinationAddress() + ":" + h.destinationPort() + "\n";
                h.release();
                ctx.writeAndFlush(Unpooled.copiedBuffer(line, StandardCharsets.UTF_8));
                return;
            }
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Reads one line of ASCII from a buffer-less blocking stream (helper for tests). */
    public static String readLine(java.io.InputStream in) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = in.read()) != -1; ) {
            if (c == '\n') {
                return sb.toString();
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    static ByteBuf unused() {
        return null;
    }
}
