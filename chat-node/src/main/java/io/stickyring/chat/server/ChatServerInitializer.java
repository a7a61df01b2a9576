package io.stickyring.chat.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslContext;
import io.stickyring.chat.protocol.ApiPaths;
import java.util.function.Supplier;

/**
 * The pipeline of every accepted connection, front to back:
 * connection limit -> [PROXY header detection] -> [TLS] -> deadlines/keep-alive -> flush consolidation -> HTTP codec + aggregator
 * -> flow control + read gate (backpressure, see {@link ReadGate}) -> HTTP API -> WebSocket protocol (stock Netty: handshake on {@code /ws}, close/ping handling,
 * frame size 1009, UTF-8 1007, masking 1002) -> fragment aggregator -> the session.
 * The PROXY header comes before TLS because the LB forwards TLS untouched after its own header.
 */
final class ChatServerInitializer extends ChannelInitializer<SocketChannel> {
    private final NodeContext node;
    private final ConnectionLimiter limiter;
    private final SslContext ssl;
    private final Supplier<String> state;
    private final WebSocketServerProtocolConfig wsConfig;

    ChatServerInitializer(NodeContext node, ConnectionLimiter limiter, SslContext ssl, Supplier<String> state) {
        this.node = node;
        this.limiter = limiter;
        this.ssl = ssl;
        this.state = state;
        NodeConfig c = node.config();
        this.wsConfig = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(ApiPaths.WS)
                .checkStartsWith(true)
                .handshakeTimeoutMillis(c.helloTimeout().toMillis())
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(c.maxFrameBytes())
                        .expectMaskedFrames(true)
                        .allowMaskMismatch(false)
                        .withUTF8Validator(true)
                        .closeOnProtocolViolation(true)
                        .allowExtensions(false)
                        .build())
                .build();
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        NodeConfig c = node.config();
        node.metrics().tcpAccepted.inc();
        ChannelPipeline p = ch.pipeline();
        p.addLast("limit", limiter);
        if (c.acceptProxyProtocol()) {
            p.addLast("proxy-detect", new ProxyProtocolDetector(c.trustedProxies(),
                    () -> node.metrics().closes.labelValues("untrusted_proxy_header").inc()));
        }
        if (ssl != null) {
            p.addLast("tls", ssl.newHandler(ch.alloc()));
        }
        long httpIdle = Math.max(c.pingInterval().plus(c.pongTimeout()).toMillis(), c.maxPollWait().toMillis() + 10_000);
        p.addLast("keepalive", new KeepAliveHandler(c.pingInterval().toMillis(), c.pongTimeout().toMillis(), httpIdle,
                () -> node.metrics().closes.labelValues("pong_timeout").inc(),
                c.requestTimeout().toMillis(), () -> node.metrics().closes.labelValues("request_timeout").inc()));
        // Coalesces the many small flushes of one event-loop pass (ack + pushes) into fewer syscalls.
        p.addLast("flush", new FlushConsolidationHandler(64, true));
        p.addLast("http", new HttpServerCodec());
        p.addLast("http-agg", new HttpObjectAggregator(c.maxHttpBodyBytes()));
        p.addLast("flow", new FlowControlHandler());
        p.addLast("gate", new ReadGate(node.metrics(), c.slowConsumerTimeout().toMillis(), System::nanoTime));
        p.addLast("api", new HttpApiHandler(node, state));
        p.addLast("ws", new WebSocketServerProtocolHandler(wsConfig));
        p.addLast("ws-agg", new WebSocketFrameAggregator(c.maxFrameBytes()));
        p.addLast("session", new WebSocketSessionHandler(node));
    }
}
