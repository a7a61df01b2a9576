package io.stickyring.chat.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Idle and keep-alive control, placed before the codecs so any byte from the peer counts as life.
 * Before a WebSocket upgrade, a connection idle for {@code httpIdle} is closed. Once the session
 * starts ({@link #startWebSocket()}): after {@code pingInterval} without a read it sends a ping;
 * after {@code pingInterval + pongTimeout} without a read it closes the connection (dead peer or
 * half-open TCP).
 */
final class KeepAliveHandler extends ChannelDuplexHandler {
    private final long pingNanos;
    private final long deadNanos;
    private final long httpIdleNanos;
    private final Runnable onTimeout;
    private long lastRead = System.nanoTime();
    private boolean webSocket;
    private ScheduledFuture<?> timer;

    KeepAliveHandler(long pingMillis, long pongTimeoutMillis, long httpIdleMillis, Runnable onTimeout) {
        this.pingNanos = TimeUnit.MILLISECONDS.toNanos(pingMillis);
        this.deadNanos = TimeUnit.MILLISECONDS.toNanos(pingMillis + pongTimeoutMillis);
        this.httpIdleNanos = TimeUnit.MILLISECONDS.toNanos(httpIdleMillis);
        this.onTimeout = onTimeout;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        lastRead = System.nanoTime();
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10),
                Math.min(Math.min(pingNanos, deadNanos - pingNanos), httpIdleNanos) / 2);
        timer = ctx.executor().scheduleAtFixedRate(() -> check(ctx), period, period, TimeUnit.NANOSECONDS);
        super.channelActive(ctx);
    }

    /** Switches to WebSocket keep-alive (pings and pong timeout); call on the event loop. */
    void startWebSocket() {
        webSocket = true;
        lastRead = System.nanoTime();
    }

    private void check(ChannelHandlerContext ctx) {
        long idle = System.nanoTime() - lastRead;
        if (!webSocket) {
            if (idle >= httpIdleNanos) {
                ctx.close();
            }
        } else if (idle >= deadNanos) {
            onTimeout.run();
            ctx.close();
        } else if (idle >= pingNanos) {
            ctx.channel().writeAndFlush(new PingWebSocketFrame());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        lastRead = System.nanoTime();
        super.channelRead(ctx, msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (timer != null) {
            timer.cancel(false);
        }
        super.channelInactive(ctx);
    }
}
