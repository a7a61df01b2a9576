package io.stickyring.chat.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.stickyring.chat.protocol.CloseCodes;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Read-side backpressure of one connection. Mode: the outbound write watermarks and a count of
 * unanswered requests toggle {@code autoRead}; a {@link io.netty.handler.flow.FlowControlHandler}
 * just in front holds what the last read already decoded, so nothing more is handed on while the
 * gate is shut (and {@code read()} calls from handlers behind it are held back too).
 *
 * <p>Invariant: the node starts no answer for a client while that client's outbound buffer is above
 * its high watermark, and at most {@link #MAX_IN_FLIGHT} answers per connection are being produced
 * (pipelined HTTP requests, WebSocket {@code history} requests). Memory per connection is therefore
 * bounded by the watermark plus {@code MAX_IN_FLIGHT} answers of at most {@code --max-reply-bytes}.
 *
 * <p>Before a WebSocket upgrade, a connection that stays stuck (see {@link #checkStuck}) for the
 * slow-consumer timeout is closed and counted ({@code closes{reason="http_slow_consumer"}}); after it the session applies its
 * own 1013. WebSocket control pings are limited per connection ({@link #PING_BURST}, then
 * {@link #PINGS_PER_SECOND}); one beyond that closes the session with 1008.
 */
final class ReadGate extends ChannelDuplexHandler {
    /** Requests per connection that may be in progress at once; more stay unread in the socket. */
    static final int MAX_IN_FLIGHT = 4;
    static final int PING_BURST = 20;
    static final double PINGS_PER_SECOND = 5;

    private final ChatMetrics metrics;
    private final long slowNanos;
    private ChannelHandlerContext ctx;
    private int inFlight;
    private boolean upgraded;
    private boolean heldRead;
    private ScheduledFuture<?> slowTimer;
    /** Since when (nanoTime) the client has been stuck, -1 when it is not; see {@link #checkStuck}. */
    private long stuckSince = -1;
    private final LongSupplier nanoClock;
    private double pingTokens = PING_BURST;
    private long pingLast;

    ReadGate(ChatMetrics metrics, long slowConsumerMillis, LongSupplier nanoClock) {
        this.metrics = metrics;
        this.slowNanos = TimeUnit.MILLISECONDS.toNanos(slowConsumerMillis);
        this.nanoClock = nanoClock;
        this.pingLast = nanoClock.getAsLong();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Counts an answer being produced; call on the event loop. Pair with {@link #end()}. */
    void begin() {
        inFlight++;
        update();
    }

    /** An answer has been written (or abandoned); reading may resume. */
    void end() {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(this::end);
            return;
        }
        inFlight--;
        update();
    }

    private boolean open() {
        return inFlight < MAX_IN_FLIGHT && ctx.channel().isWritable();
    }

    /** Applies the gate: shut reads when over a limit, reopen (and deliver held messages) when under. */
    private void update() {
        boolean open = open();
        if (ctx.channel().config().isAutoRead() != open) {
            if (open) {
                heldRead = false;
            }
            // Reopening issues a read() that passes through this gate and releases held messages.
            ctx.channel().config().setAutoRead(open);
        } else if (open && heldRead) {
            heldRead = false;
            ctx.read();
        }
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (open()) {
            ctx.read();
        } else {
            // A handler behind us asked for more (e.g. after a ping): wait until the gate reopens.
            heldRead = true;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest) {
            KeepAliveHandler ka = ctx.pipeline().get(KeepAliveHandler.class);
            if (ka != null) {
                ka.requestReceived();
            }
            begin();
        } else if (msg instanceof PingWebSocketFrame && !takePing()) {
            ReferenceCountUtil.release(msg);
            WebSocketSessionHandler s = ctx.pipeline().get(WebSocketSessionHandler.class);
            if (s != null) {
                s.closeWith(CloseCodes.POLICY_VIOLATION, "more than " + PING_BURST + " pings at "
                        + PINGS_PER_SECOND + "/s", "ping_flood");
            } else {
                ctx.close();
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private boolean takePing() {
        long now = nanoClock.getAsLong();
        pingTokens = Math.min(PING_BURST, pingTokens + (now - pingLast) * PINGS_PER_SECOND / 1e9);
        pingLast = now;
        if (pingTokens >= 1) {
            pingTokens--;
            return true;
        }
        return false;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse r && r.status().equals(HttpResponseStatus.SWITCHING_PROTOCOLS)) {
            // The WebSocket upgrade: from here the session's own slow-consumer timer (1013) applies.
            upgraded = true;
            if (slowTimer != null) {
                slowTimer.cancel(false);
            }
        }
        if (msg instanceof LastHttpContent) {
            // The end of one HTTP answer: it frees its slot once it has left for the socket.
            ChannelPromise p = promise.unvoid();
            p.addListener(f -> end());
            ctx.write(msg, p);
            return;
        }
        ctx.write(msg, promise);
    }


    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        update();
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), slowNanos / 4);
        slowTimer = ctx.executor().scheduleAtFixedRate(this::checkStuck, period, period, TimeUnit.NANOSECONDS);
        super.channelActive(ctx);
    }

    /**
     * Stuck: the client does not take what we already answered (above the high watermark, or all
     * request slots held by answers still waiting in the outbound buffer). Stuck for the whole
     * slow-consumer timeout before an upgrade: closed (a 503 could not reach a client that does not read).
     */
    private void checkStuck() {
        if (upgraded || !ctx.channel().isActive()) {
            return;
        }
        var out = ctx.channel().unsafe().outboundBuffer();
        boolean stuck = !ctx.channel().isWritable()
                || (inFlight >= MAX_IN_FLIGHT && out != null && out.totalPendingWriteBytes() > 0);
        long now = System.nanoTime();
        if (!stuck) {
            stuckSince = -1;
        } else if (stuckSince < 0) {
            stuckSince = now;
        } else if (now - stuckSince >= slowNanos) {
            metrics.closes.labelValues("http_slow_consumer").inc();
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (!upgraded && cause instanceof DecoderException) {
            // Netty's HttpServerCodec refuses more than 128 unanswered pipelined requests; we hold
            // them at MAX_IN_FLIGHT, so a client that pipelines past that (and does not read) ends here.
            boolean depth = cause.getCause() instanceof IllegalStateException
                    && String.valueOf(cause.getCause().getMessage()).contains("maxPipelineDepth");
            metrics.closes.labelValues(depth ? "http_pipeline_overflow" : "http_bad_input").inc();
            ctx.close();
            return;
        }
        super.exceptionCaught(ctx, cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (slowTimer != null) {
            slowTimer.cancel(false);
        }
        super.channelInactive(ctx);
    }
}
