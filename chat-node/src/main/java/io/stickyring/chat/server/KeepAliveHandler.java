package io.stickyring.chat.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Deadlines, idle and keep-alive control, placed before the codecs so it sees every byte.
 * Before a WebSocket upgrade: each HTTP request must arrive whole within {@code requestTimeout} of
 * its first byte (the first request: of the connection's accept) — an absolute deadline that
 * trickled bytes do not extend (slowloris) — else the connection is closed and counted as
 * {@code request_timeout}; between requests a connection idle for {@code httpIdle} is closed. Once the session
 * starts ({@link #startWebSocket()}): after {@code pingInterval} without a read it sends a ping;
 * after {@code pingInterval + pongTimeout} without a read it closes the connection (dead peer or
 * half-open TCP).
 */
final class KeepAliveHandler extends ChannelDuplexHandler {
    private final long pingNanos;
    private final long deadNanos;
    private final long httpIdleNanos;
    private final Runnable onTimeout;
    private final long requestNanos;
    private final Runnable onRequestTimeout;
    /** When the request being received started (nanoTime); -1 between requests. */
    private long requestStart = -1;
    private long lastRead = System.nanoTime();
    private boolean webSocket;
    private ScheduledFuture<?> timer;

    KeepAliveHandler(long pingMillis, long pongTimeoutMillis, long httpIdleMillis, Runnable onTimeout,
                     long requestMillis, Runnable onRequestTimeout) {
        this.requestNanos = TimeUnit.MILLISECONDS.toNanos(requestMillis);
        this.onRequestTimeout = onRequestTimeout;
        this.pingNanos = TimeUnit.MILLISECONDS.toNanos(pingMillis);
        this.deadNanos = TimeUnit.MILLISECONDS.toNanos(pingMillis + pongTimeoutMillis);
        this.httpIdleNanos = TimeUnit.MILLISECONDS.toNanos(httpIdleMillis);
        this.onTimeout = onTimeout;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        lastRead = System.nanoTime();
        requestStart = lastRead;
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10),
                Math.min(Math.min(Math.min(pingNanos, deadNanos - pingNanos), httpIdleNanos), requestNanos) / 4);
        timer = ctx.executor().scheduleAtFixedRate(() -> check(ctx), period, period, TimeUnit.NANOSECONDS);
        super.channelActive(ctx);
    }

    /** Switches to WebSocket keep-alive (pings and pong timeout); call on the event loop. */
    void startWebSocket() {
        webSocket = true;
        requestStart = -1;
        lastRead = System.nanoTime();
    }

    private void check(ChannelHandlerContext ctx) {
        long idle = System.nanoTime() - lastRead;
        if (!webSocket) {
            if (requestStart >= 0 && System.nanoTime() - requestStart >= requestNanos) {
                onRequestTimeout.run();
                ctx.close();
            } else if (idle >= httpIdleNanos) {
                ctx.close();
            }
        } else if (idle >= deadNanos) {
            onTimeout.run();
            ctx.close();
        } else if (idle >= pingNanos) {
            ctx.channel().writeAndFlush(new PingWebSocketFrame());
        }
    }

    /** A whole request has been decoded: its deadline is met; the next byte starts the next one. */
    void requestReceived() {
        requestStart = -1;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        lastRead = System.nanoTime();
        if (!webSocket && requestStart < 0) {
            requestStart = lastRead;
        }
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
