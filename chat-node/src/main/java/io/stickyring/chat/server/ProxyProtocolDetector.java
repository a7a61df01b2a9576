package io.stickyring.chat.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.ProtocolDetectionResult;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * First handler when {@code --accept-proxy-protocol} is on: looks at the first bytes; if they start
 * a PROXY v1 or v2 header it installs Netty's {@link HAProxyMessageDecoder} and records the source
 * address ({@link ClientAddress}), otherwise it steps aside and the connection is served as is.
 * Either way it removes itself, so it costs nothing after the first read.
 */
final class ProxyProtocolDetector extends ByteToMessageDecoder {
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        ProtocolDetectionResult<HAProxyProtocolVersion> r = HAProxyMessageDecoder.detectProtocol(in);
        switch (r.state()) {
            case NEEDS_MORE_DATA:
                return;
            case DETECTED:
                ctx.pipeline().addAfter(ctx.name(), "proxy-capture", new Capture());
                ctx.pipeline().addAfter(ctx.name(), "proxy-decoder", new HAProxyMessageDecoder());
                ctx.pipeline().remove(this);
                return;
            default:
                ctx.pipeline().remove(this);
        }
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
