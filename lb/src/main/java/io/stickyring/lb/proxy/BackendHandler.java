package io.stickyring.lb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.stickyring.lb.route.CloseReason;

/**
 * Member side of one proxied connection (after Netty's HexDumpProxyBackendHandler): relays member
 * bytes to the client.
 *
 * <p>Backpressure: write watermarks toggling autoRead, mirroring {@link FrontendHandler}: when the
 * client channel is above its high watermark after a burst, this channel stops reading; the client
 * channel's writability change turns reading back on.
 * Half-close: a member FIN is forwarded to the client as a FIN after pending bytes.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {

    private final ProxyConnection conn;

    BackendHandler(ProxyConnection conn) {
        this.conn = conn;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            int n = buf.readableBytes();
            conn.bytesFromMember += n;
            conn.member.bytesFromMember.inc(n);
        }
        // void promise: no promise object per message; a write failure reaches exceptionCaught instead
        conn.frontend.write(msg, conn.frontend.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Channel f = conn.frontend;
        f.flush();
        if (!f.isWritable()) {
            ctx.channel().config().setAutoRead(false); // the client is not draining: stop reading the member
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && conn.frontend.isActive()) {
            conn.frontend.config().setAutoRead(true); // the member drained: resume reading from the client
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            conn.memberEof = true;
            if (conn.clientEof) {
                conn.closeOnFlush(CloseReason.CLIENT);
            } else {
                ProxyConnection.forwardFin(conn.frontend);
            }
        } else if (evt instanceof IdleStateEvent) {
            conn.close(CloseReason.IDLE);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (conn.connected && conn.backend == ctx.channel()) {
            // after a forwarded client FIN, the member's FIN closes this channel (no half-closure left)
            conn.closeOnFlush(conn.clientEof ? CloseReason.CLIENT : CloseReason.MEMBER);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        conn.close(CloseReason.MEMBER);
    }
}
