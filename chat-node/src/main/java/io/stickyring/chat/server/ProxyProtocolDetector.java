package io.stickyring.chat.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.ProtocolDetectionResult;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First handler when {@code --accept-proxy-protocol} is on: looks at the first bytes; if they start
 * a PROXY v1 or v2 header it installs Netty's {@link HAProxyMessageDecoder} and records the source
 * address ({@link ClientAddress}), otherwise it steps aside and the connection is served as is.
 * Either way it removes itself, so it costs nothing after the first read.
 *
 * <p>Only a peer in {@code --trusted-proxies} (the LBs) may send a header: from anyone else it
 * would forge the client address, so it is answered with a one-line 400 naming the peer, counted
 * ({@code closes{reason="untrusted_proxy_header"}}) and the connection closed.
 */
final class ProxyProtocolDetector extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(ProxyProtocolDetector.class);
    /** At most one WARN per this many ms: an attacker must not be able to flood the log. */
    private static final long WARN_EVERY_MS = 10_000;
    private static final AtomicLong lastWarn = new AtomicLong(Long.MIN_VALUE / 2);

    private final TrustedProxies trusted;
    private final Runnable onRefused;

    ProxyProtocolDetector(TrustedProxies trusted, Runnable onRefused) {
        this.trusted = trusted;
        this.onRefused = onRefused;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        ProtocolDetectionResult<HAProxyProtocolVersion> r = HAProxyMessageDecoder.detectProtocol(in);
        switch (r.state()) {
            case NEEDS_MORE_DATA:
                return;
            case DETECTED:
                if (!trusted.trusts(ctx.channel().remoteAddress())) {
                    refuse(ctx, in);
                    return;
                }
                ctx.pipeline().addAfter(ctx.name(), "proxy-capture", new Capture());
                ctx.pipeline().addAfter(ctx.name(), "proxy-decoder", new HAProxyMessageDecoder());
                ctx.pipeline().remove(this);
                return;
            default:
                ctx.pipeline().remove(this);
        }
    }

    /** Answers an untrusted peer's PROXY header with a 400 naming the peer, then closes. */
    private void refuse(ChannelHandlerContext ctx, ByteBuf in) {
        in.skipBytes(in.readableBytes());
        onRefused.run();
        String peer = String.valueOf(ctx.channel().remoteAddress());
        long now = System.currentTimeMillis();
        long last = lastWarn.get();
        if (now - last >= WARN_EVERY_MS && lastWarn.compareAndSet(last, now)) {
            log.warn("refused a PROXY protocol header from {}: not in --trusted-proxies ({}); further refusals for {} ms are only counted",
                    peer, trusted, WARN_EVERY_MS);
        }
        byte[] body = ("PROXY protocol header from untrusted peer " + peer + " refused (not in --trusted-proxies)\n")
                .getBytes(StandardCharsets.US_ASCII);
        ByteBuf answer = ctx.alloc().buffer();
        answer.writeCharSequence("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: "
                + body.length + "\r\n\r\n", StandardCharsets.US_ASCII);
        answer.writeBytes(body);
        ctx.pipeline().remove(this);
        ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
    }

    /** Takes the decoded header, remembers the source, and leaves the pipeline. */
    private static final class Capture extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HAProxyMessage h) {
                try {
                    if (h.command() == HAProxyCommand.PROXY && h.sourceAddress() != null) {
                        ctx.channel().attr(ClientAddress.PROXIED).set(
                                InetSocketAddress.createUnresolved(h.sourceAddress(), h.sourcePort()));
                    }
                } finally {
                    h.release();
                }
                ctx.pipeline().remove(this);
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }
}
