package io.stickyring.chat.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.stickyring.chat.bus.BusEvent;
import io.stickyring.chat.model.Ack;
import io.stickyring.chat.model.RejectedException;
import io.stickyring.chat.model.StoredMessage;
import io.stickyring.chat.protocol.CloseCodes;
import io.stickyring.chat.protocol.ErrorCodes;
import io.stickyring.chat.model.Ack;
import io.stickyring.chat.model.RejectedException;
import io.stickyring.chat.model.StoredMessage;
import io.stickyring.chat.protocol.FrameTypes;
import io.stickyring.chat.protocol.RetryHint;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket session: the protocol of docs/protocol.md from {@code hello} on. All state is
 * confined to the channel's event loop; bus events and store completions hop onto it.
 *
 * <p>This class is glue: admission, hello, dispatch of typed {@link ClientFrame}s, rate limits
 * and close codes. Which inbox entries go to the device, and when the store is read instead of
 * the bus, is decided by the session's {@link DeliveryCursor} (its invariant: each device gets
 * every message of its inbox exactly once per session, in cursor order).
 *
 * <p>Backpressure: write watermarks. While the channel is unwritable, pushes are not queued (they
 * are replayed from the store once it drains); if it stays unwritable for the slow-consumer
 * timeout the session is closed with 1013 and the client resyncs from its cursor.
 */
final class WebSocketSessionHandler extends SimpleChannelInboundHandler<WebSocketFrame>
        implements SessionRegistry.Listener {
    private static final Logger log = LoggerFactory.getLogger(WebSocketSessionHandler.class);

    private final NodeContext node;
    private Channel ch;
    private String user;
    private DeliveryCursor cursor;
    private boolean closing;
    private String ip;
    private ScheduledFuture<?> helloTimer;
    private ScheduledFuture<?> slowTimer;

    WebSocketSessionHandler(NodeContext node) {
        this.node = node;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            // Session starts: keep-alive runs, and the client has helloTimeout to authenticate.
            ch = ctx.channel();
            node.sessions().add(ch);
            if (!admitAddress()) {
                return;
            }
            KeepAliveHandler ka = ctx.pipeline().get(KeepAliveHandler.class);
            if (ka != null) {
                ka.startWebSocket();
            }
            helloTimer = ch.eventLoop().schedule(() -> {
                if (user == null) {
                    closeWith(CloseCodes.POLICY_VIOLATION, "no hello within " + node.config().helloTimeout().toMillis() + " ms", "hello_timeout");
                }
            }, node.config().helloTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    /** Counts this session against its client address (the PROXY header's when there was one). */
    private boolean admitAddress() {
        String addr = ClientAddress.ip(ch);
        int limit = node.config().maxSessionsPerIp();
        if (limit <= 0 || addr == null) {
            return true;
        }
        int n = node.sessionsPerIp().computeIfAbsent(addr, a -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        ip = addr;
        if (n > limit) {
            log.debug("refusing session from {}: {} sessions (limit {})", addr, n - 1, limit);
            closeWith(CloseCodes.POLICY_VIOLATION, "too many sessions from " + addr + " (limit " + limit + ")", "per_ip_limit");
            return false;
        }
        return true;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof TextWebSocketFrame text) {
            onText(text.text());
        } else if (frame instanceof BinaryWebSocketFrame) {
            closeWith(CloseCodes.UNSUPPORTED_DATA, "binary frames are not supported", "binary");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            // A fragmented message over the limit (single frames are caught by the decoder).
            closeWith(CloseCodes.MESSAGE_TOO_BIG, "message exceeds " + node.config().maxFrameBytes() + " bytes", "too_big");
        } else if (cause instanceof CorruptedFrameException) {
            closeWith(CloseCodes.PROTOCOL_ERROR, "protocol error", "protocol");
        } else {
            log.debug("session {} error: {}", user, cause.toString());
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (helloTimer != null) {
            helloTimer.cancel(false);
        }
        if (slowTimer != null) {
            slowTimer.cancel(false);
        }
        if (cursor != null) {
            cursor.stop();
        }
        if (user != null) {
            node.registry().detach(user, this);
            node.metrics().sessions.dec();
            log.debug("session of {} from {} ended", user, ClientAddress.ip(ctx.channel()));
        }
        if (ip != null) {
            node.sessionsPerIp().computeIfPresent(ip, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
        }
        super.channelInactive(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ch != null && cursor != null) {
            if (ch.isWritable()) {
                if (slowTimer != null) {
                    slowTimer.cancel(false);
                    slowTimer = null;
                }
                cursor.writable();
            } else if (slowTimer == null) {
                slowTimer = ch.eventLoop().schedule(() -> {
                    if (!ch.isWritable()) {
                        closeWith(CloseCodes.TRY_AGAIN_LATER, "slow consumer: not reading for "
                                + node.config().slowConsumerTimeout().toMillis() + " ms; reconnect and sync", "slow_consumer");
                    }
                }, node.config().slowConsumerTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        super.channelWritabilityChanged(ctx);
    }

    // ------------------------------------------------------------------ inbound frames

    private void onText(String text) {
        if (closing) {
            return;
        }
        JsonNode in;
        try {
            in = Frames.parseObject(text);
        } catch (RejectedException e) {
            count("invalid");
            if (user == null) {
                // Before hello the peer has not shown it speaks the protocol: no error frames, close.
                closeWith(CloseCodes.POLICY_VIOLATION, "send hello with a token first", "not_authenticated");
            } else {
                error(e.code(), e.getMessage(), null);
            }
            return;
        }
        String t = Frames.text(in, FrameTypes.FIELD);
        if (t == null) {
            count("invalid");
            error(ErrorCodes.BAD_REQUEST, "frame has no string field 't'", null);
            return;
        }
        ClientFrame f = ClientFrame.parse(t, in);
        count(f.label());
        if (user == null && !(f instanceof ClientFrame.Hello)) {
            closeWith(CloseCodes.POLICY_VIOLATION, "send hello with a token first", "not_authenticated");
            return;
        }
        if (f instanceof ClientFrame.Hello h) {
            onHello(h);
        } else if (f instanceof ClientFrame.Send s) {
            onSend(s);
        } else if (f instanceof ClientFrame.Sync s) {
            onSync(s);
        } else if (f instanceof ClientFrame.Read r) {
            onRead(r);
        } else if (f instanceof ClientFrame.Typing ty) {
            onTyping(ty);
        } else if (f instanceof ClientFrame.History h) {
            onHistory(h);
        } else if (f instanceof ClientFrame.Leave l) {
            onLeave(l);
        } else if (f instanceof ClientFrame.Ping p) {
            if (!limited(p.ref())) {
                write(Frames.frame(FrameTypes.PONG), true);
            }
        } else if (f instanceof ClientFrame.Malformed m) {
            error(ErrorCodes.BAD_REQUEST, m.message(), m.ref());
        } else if (f instanceof ClientFrame.Unknown u) {
            error(ErrorCodes.UNKNOWN_TYPE, "unknown frame type '" + truncate(u.type()) + "'", u.ref());
        }
    }

    private void count(String type) {
        node.metrics().framesIn.labelValues(type).inc();
    }

    private void onHello(ClientFrame.Hello in) {
        if (user != null) {
            error(ErrorCodes.ALREADY_AUTHENTICATED, "hello already accepted for '" + user + "'", null);
            return;
        }
        Optional<String> who = node.tokens().verify(in.token());
        if (who.isEmpty()) {
            closeWith(CloseCodes.POLICY_VIOLATION, "missing, invalid or expired token", "bad_token");
            return;
        }
        // The cursor is checked after the token: before a valid hello the answer is a close, not an error frame.
        Long cursor = in.cursor();
        if (cursor == null) {
            error(ErrorCodes.BAD_REQUEST, "'cursor' must be an integer >= 0", null);
            return;
        }
        helloTimer.cancel(false);
        user = who.get();
        log.debug("session of {} from {} started", user, ClientAddress.ip(ch));
        node.metrics().sessions.inc();
        this.cursor = new DeliveryCursor(new EventLoopAdapter(), new UserInbox(node.service(), user), new FrameOutput(),
                node.config().syncBatch());
        // Subscribe before reading the head, so no push can fall between the two.
        node.registry().attach(user, this);
        this.cursor.open(cursor);
    }

    private void onSync(ClientFrame.Sync in) {
        // Each sync costs store reads, so it counts against the rate limit like any request.
        if (limited(null)) {
            return;
        }
        cursor.sync(in.cursor());
    }

    private void onSend(ClientFrame.Send in) {
        String id = in.id();
        if (!node.rateLimiter().tryAcquire(user)) {
            node.metrics().reject(ErrorCodes.RATE_LIMITED);
            error(ErrorCodes.RATE_LIMITED, "rate limit " + node.config().ratePerSecond() + "/s exceeded; retry in "
                    + node.rateLimiter().retryAfterMillis(user) + " ms", id);
            return;
        }
        long t0 = System.nanoTime();
        // The service publishes the deliveries itself, on this loop after the ack write it queues here.
        node.service().send(user, id, in.conv(), in.body(), ch.eventLoop())
                .whenComplete((ack, err) -> ch.eventLoop().execute(() -> onAppended(id, t0, ack, err)));
    }

    private void onAppended(String id, long t0, Ack ack, Throwable err) {
        if (err != null) {
            failed(err, id);
            return;
        }
        if (ch.isActive()) {
            write(Frames.ack(ack), true);
            node.metrics().ackLatency.observe((System.nanoTime() - t0) / 1e9);
        }
    }

    private void onRead(ClientFrame.Read in) {
        if (limited(in.ref())) {
            return;
        }
        node.service().markRead(user, in.conv(), in.seq()).whenComplete((mark, err) -> {
            if (err != null) {
                ch.eventLoop().execute(() -> failed(err, in.ref()));
            }
        });
    }

    private void onTyping(ClientFrame.Typing in) {
        if (limited(null)) {
            return;
        }
        node.service().typing(user, in.conv()).whenComplete((v, err) -> {
            if (err != null) {
                ch.eventLoop().execute(() -> failed(err, null));
            }
        });
    }

    private void onHistory(ClientFrame.History in) {
        String conv = in.conv();
        String ref = in.ref();
        long before = in.before();
        if (limited(ref)) {
            return;
        }
        // A history answer is large: it holds a read-gate slot until written (see ReadGate).
        ReadGate gate = ch.pipeline().get(ReadGate.class);
        if (gate != null) {
            gate.begin();
        }
        node.service().history(user, conv, before, in.limit()).whenComplete((msgs, err) -> ch.eventLoop().execute(() -> {
            if (err != null) {
                failed(err, ref);
            } else if (ch.isActive()) {
                write(Frames.history(conv, before, msgs, ref, node.config().maxReplyBytes()), true);
            }
            if (gate != null) {
                gate.end();
            }
        }));
    }

    private void onLeave(ClientFrame.Leave in) {
        String conv = in.conv();
        String ref = in.ref();
        if (limited(ref)) {
            return;
        }
        node.service().leave(user, conv).whenComplete((c, err) -> ch.eventLoop().execute(() -> {
            if (err != null) {
                failed(err, ref);
            } else if (ch.isActive()) {
                write(Frames.left(conv, ref), true);
            }
        }));
    }

    private boolean limited(String ref) {
        if (node.rateLimiter().tryAcquire(user)) {
            return false;
        }
        node.metrics().reject(ErrorCodes.RATE_LIMITED);
        error(ErrorCodes.RATE_LIMITED, "rate limit " + node.config().ratePerSecond() + "/s exceeded", ref);
        return true;
    }

    private void failed(Throwable err, String ref) {
        Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        if (cause instanceof RejectedException r) {
            node.metrics().reject(r.code());
            error(r.code(), r.getMessage(), ref);
        } else {
            node.metrics().reject(ErrorCodes.STORE_UNAVAILABLE);
            error(ErrorCodes.STORE_UNAVAILABLE, "not stored (" + cause.getMessage() + "); retry with the same id", ref);
        }
    }

    // ------------------------------------------------------------------ delivery

    @Override
    public void onEvent(BusEvent event) {
        Channel c = ch;
        if (c != null) {
            c.eventLoop().execute(() -> deliver(event));
        }
    }

    private void deliver(BusEvent event) {
        if (!ch.isActive() || closing) {
            return;
        }
        if (event instanceof BusEvent.Delivery d) {
            cursor.offer(d.cursor(), d.message());
        } else if (event instanceof BusEvent.Resync rs) {
            cursor.resync(rs.healed());
        } else if (event instanceof BusEvent.Receipt r && ch.isWritable()) {
            write(Frames.receipt(r.conv(), r.reader(), r.seq()), true);
        } else if (event instanceof BusEvent.Typing ty && ch.isWritable()) {
            write(Frames.typing(ty.conv(), ty.from()), true);
        }
    }

    /** The cursor machine runs on this channel's event loop. */
    private final class EventLoopAdapter implements DeliveryCursor.Loop {
        @Override
        public void execute(Runnable task) {
            ch.eventLoop().execute(task);
        }

        @Override
        public void schedule(Runnable task, long delayMillis) {
            ch.eventLoop().schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** One user's inbox through the service (its cache, its blocking executor). */
    private record UserInbox(ChatService service, String user) implements DeliveryCursor.Inbox {
        @Override
        public CompletableFuture<Long> head() {
            return service.inboxHead(user);
        }

        @Override
        public CompletableFuture<ChatService.InboxRead> read(long after, int limit) {
            return service.readInbox(user, after, limit);
        }
    }

    /** The cursor machine's output as frames on this channel. */
    private final class FrameOutput implements DeliveryCursor.Output {
        @Override
        public boolean writable() {
            return ch.isActive() && !closing && ch.isWritable();
        }

        @Override
        public void welcome(long head) {
            write(Frames.welcome(user, node.config().nodeId(), head, ClientAddress.ip(ch)), true);
        }

        @Override
        public void message(long c, StoredMessage m, boolean flush) {
            write(Frames.msg(m, c), flush);
        }

        @Override
        public void flush() {
            ch.flush();
        }

        @Override
        public void synced(long c) {
            write(Frames.synced(c), true);
        }

        @Override
        public void headFailed(Throwable cause) {
            error(ErrorCodes.STORE_UNAVAILABLE, "store unavailable; reconnect later", null);
            closeWith(CloseCodes.INTERNAL_ERROR, "store unavailable", "store");
        }

        @Override
        public void readFailed(Throwable cause) {
            error(ErrorCodes.STORE_UNAVAILABLE, "store unavailable while syncing; retrying", null);
        }

        @Override
        public void batchRead() {
            node.metrics().syncBatches.inc();
        }
    }

    // ------------------------------------------------------------------ output

    private void write(ObjectNode frame, boolean flush) {
        node.metrics().framesOut.labelValues(frame.get(FrameTypes.FIELD).asText()).inc();
        TextWebSocketFrame f = new TextWebSocketFrame(Frames.encode(frame));
        if (flush) {
            ch.writeAndFlush(f, ch.voidPromise());
        } else {
            ch.write(f, ch.voidPromise());
        }
    }

    private void error(String code, String message, String ref) {
        write(Frames.error(code, message, ref), true);
    }

    private static String truncate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /** Sends a close frame with {@code code} and closes; forced after a second if the peer is not reading. */
    void closeWith(int code, String reason, String metricReason) {
        if (closing || ch == null) {
            return;
        }
        closing = true;
        if (cursor != null) {
            cursor.stop();
        }
        node.metrics().closes.labelValues(metricReason).inc();
        ch.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
        ch.eventLoop().schedule(() -> ch.close(), 1, TimeUnit.SECONDS);
    }

    /** Closes with 1012 and a jittered {@link RetryHint} in the reason ("node restarting; retry-after-ms=N"). */
    static void closeForRestart(Channel ch, long minMs, long maxMs) {
        WebSocketSessionHandler h = ch.pipeline().get(WebSocketSessionHandler.class);
        long hint = minMs + (maxMs > minMs ? ThreadLocalRandom.current().nextLong(maxMs - minMs + 1) : 0);
        String reason = "node restarting; " + RetryHint.format(hint);
        if (h != null) {
            ch.eventLoop().execute(() -> h.closeWith(CloseCodes.SERVICE_RESTART, reason, "restart"));
        } else {
            ch.close();
        }
    }
}
