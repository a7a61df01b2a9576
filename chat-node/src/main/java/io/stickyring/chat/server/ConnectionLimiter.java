package io.stickyring.chat.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps open TCP connections: one over the limit is closed at accept (before any read), so a flood
 * cannot exhaust memory. The count is exact: incremented on active, decremented on inactive.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final ChatMetrics metrics;

    ConnectionLimiter(int max, ChatMetrics metrics) {
        this.max = max;
        this.metrics = metrics;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (open.incrementAndGet() > max) {
            metrics.connectionsRejected.inc();
            ctx.close();
            return;
        }
        metrics.connections.inc();
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (open.getAndDecrement() <= max) {
            metrics.connections.dec();
        }
        super.channelInactive(ctx);
    }

    int open() {
        return open.get();
    }
}
