package io.stickyring.chat.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.stickyring.chat.protocol.CloseCodes;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import javax.net.ssl.SSLException;

/**
 * The WebSocket transport: a Netty client channel on the client's own event loop (stock HTTP and
 * WebSocket codecs, close frames handled here so the close code and reason reach the client).
 * Invariant: {@code onClosed} fires exactly once, whether the connect, the handshake or the
 * session failed.
 */
final class WebSocketTransport implements Transport {
    static final int MAX_FRAME = 1 << 20;

    private final ClientRuntime runtime;
    private final EventLoop loop;
    private final URI uri;
    private final InetAddress local;
    private Listener listener;
    private Channel channel;
    private boolean connected;
    private boolean opened;
    private boolean closedFired;
    private int closeCode = CloseCodes.ABNORMAL;
    private String closeReason = "connection lost";
    private boolean closeRequested;

    WebSocketTransport(ClientRuntime runtime, EventLoop loop, URI uri, InetAddress local) {
        this.runtime = runtime;
        this.loop = loop;
        this.uri = uri;
        this.local = local;
    }

    @Override
    public String name() {
        return "websocket";
    }

    @Override
    public void open(Listener l) {
        this.listener = l;
        boolean tls = "wss".equals(uri.getScheme());
        SslContext ssl;
        try {
            ssl = tls ? SslContextBuilder.forClient().build() : null;
        } catch (SSLException e) {
            fireClosed(CloseCodes.ABNORMAL, "tls: " + e.getMessage());
            return;
        }
        int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
        WebSocketClientProtocolConfig cfg = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .maxFramePayloadLength(MAX_FRAME)
                .handleCloseFrames(false)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(10_000)
                .build();
        Bootstrap b = new Bootstrap().group(loop).channel(runtime.channelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("bytes", runtime.stats().byteCounter());
                        ChannelPipeline p = ch.pipeline();
                        if (ssl != null) {
                            p.addLast(ssl.newHandler(ch.alloc(), uri.getHost(), port));
                        }
                        p.addLast(new HttpClientCodec());
                        p.addLast(new HttpObjectAggregator(64 * 1024));
                        p.addLast(new WebSocketClientProtocolHandler(cfg));
                        p.addLast(new WebSocketFrameAggregator(MAX_FRAME));
                        p.addLast(new Handler());
                    }
                });
        InetSocketAddress remote = new InetSocketAddress(uri.getHost(), port);
        runtime.stats().connectAttempts.increment();
        (local == null ? b.connect(remote) : b.connect(remote, new InetSocketAddress(local, 0))).addListener(
                (ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        fireClosed(CloseCodes.ABNORMAL, "connect " + remote + ": " + f.cause().getMessage());
                        return;
                    }
                    channel = f.channel();
                    connected = true;
                    if (closeRequested) {
                        channel.close();
                    }
                });
    }

    @Override
    public boolean send(String json) {
        Channel ch = channel;
        if (ch == null || !opened || !ch.isActive()) {
            return false;
        }
        ch.writeAndFlush(new TextWebSocketFrame(json), ch.voidPromise());
        return true;
    }

    @Override
    public void close() {
        loop.execute(() -> {
            closeRequested = true;
            if (channel != null) {
                if (opened && channel.isActive()) {
                    channel.writeAndFlush(new CloseWebSocketFrame(CloseCodes.NORMAL, "bye")).addListener(ChannelFutureListener.CLOSE);
                } else {
                    channel.close();
                }
            }
        });
    }

    private void fireClosed(int code, String reason) {
        if (!closedFired) {
            closedFired = true;
            // Only a refused upgrade on a live TCP connection counts as a WebSocket failure: a dead
            // address is not a reason to fall back to long polling.
            listener.onClosed(code, reason, connected && !opened);
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<WebSocketFrame> {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                opened = true;
                listener.onOpen();
            } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                closeReason = "handshake timeout";
                ctx.close();
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof TextWebSocketFrame t) {
                listener.onText(t.text());
            } else if (frame instanceof CloseWebSocketFrame c) {
                // Remember the node's code and reason (1012 carries the retry hint), answer, close.
                closeCode = c.statusCode() < 0 ? 1005 : c.statusCode();
                closeReason = c.reasonText();
                ctx.writeAndFlush(new CloseWebSocketFrame(closeCode, "")).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fireClosed(closeCode, closeReason);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            closeReason = cause.getClass().getSimpleName() + ": " + cause.getMessage();
            ctx.close();
        }
    }
}
