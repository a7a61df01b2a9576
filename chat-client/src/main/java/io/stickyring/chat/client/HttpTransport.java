package io.stickyring.chat.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.stickyring.chat.protocol.ApiPaths;
import io.stickyring.chat.protocol.CloseCodes;
import io.stickyring.chat.protocol.FrameTypes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import javax.net.ssl.SSLException;

/**
 * The HTTP transports: the same frames as the WebSocket, carried by the HTTP API, on Netty
 * channels bound to the client's own source address (so each simulated user is a distinct client
 * IP to the LB, as with the WebSocket).
 * <ul>
 * <li>{@link Kind#LONG_POLL}: {@code GET /api/poll?cursor=N&wait=S} in a loop; the node answers as
 * soon as a message exists, else after S seconds with nothing.</li>
 * <li>{@link Kind#POLL}: the naive design the WebSocket replaces: {@code GET /api/poll?wait=0}
 * every {@code interval}; most answers are empty and a message waits for the next poll.</li>
 * </ul>
 * Sends are {@code POST /api/send} whose answer is the same {@code ack} or {@code error} frame. With
 * {@code keepAlive} off every request opens its own TCP connection ({@code Connection: close}): one
 * handshake per request, which is what the argument for WebSockets counts. Sends and polls use two
 * lanes, each one request at a time in order, so a sender's messages reach the node in the order
 * sent. {@code hello} is a first non-waiting poll whose answer names the node and the client IP it
 * saw; the transport turns it into the {@code welcome} frame. {@code sync} moves the poll cursor;
 * {@code ping} is answered locally; {@code read}, {@code typing} and {@code history} have no HTTP
 * form here and are dropped. Invariant: any failed request ends the transport (one
 * {@code onClosed}); the client reconnects and resends unacked messages with their ids.
 */
final class HttpTransport implements Transport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_RESPONSE = 16 << 20;
    /** An answer later than this (beyond a long poll's own wait) means a dead peer: the transport fails. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(HttpTransport.class);

    enum Kind { LONG_POLL, POLL }

    private final ClientRuntime runtime;
    private final EventLoop loop;
    private final URI base;
    private final InetAddress local;
    private final String user;
    private final String token;
    private final Kind kind;
    private final Duration pollWait;
    private final Duration pollInterval;
    private final boolean keepAlive;
    private final Lane sendLane = new Lane();
    private final Lane pollLane = new Lane();
    private final SslContext ssl;
    private Listener listener;
    private boolean open;
    private boolean closedFired;
    private long pollCursor = -1;
    private boolean polling;
    private long lastPollStartNanos;

    HttpTransport(ClientRuntime runtime, EventLoop loop, URI base, InetAddress local, String user, String token, Kind kind,
                  Duration pollWait, Duration pollInterval, boolean keepAlive) {
        this.runtime = runtime;
        this.loop = loop;
        this.base = base;
        this.local = local;
        this.user = user;
        this.token = token;
        this.kind = kind;
        this.pollWait = pollWait;
        this.pollInterval = pollInterval;
        this.keepAlive = keepAlive;
        try {
            this.ssl = "https".equals(base.getScheme()) ? SslContextBuilder.forClient().build() : null;
        } catch (SSLException e) {
            throw new IllegalStateException("TLS client context: " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return (kind == Kind.LONG_POLL ? "long-poll" : "poll") + (keepAlive ? "" : " (no keep-alive)");
    }

    @Override
    public void open(Listener l) {
        loop.execute(() -> {
            this.listener = l;
            open = true;
            l.onOpen();
        });
    }

    @Override
    public boolean send(String json) {
        if (!open) {
            return false;
        }
        JsonNode f;
        try {
            f = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a JSON frame: " + json, e);
        }
        loop.execute(() -> {
            switch (f.path(FrameTypes.FIELD).asText()) {
                case FrameTypes.HELLO -> hello(f.path("cursor").asLong());
                case FrameTypes.SEND -> post(f);
                case FrameTypes.SYNC -> pollCursor = f.path("cursor").asLong();
                case FrameTypes.PING -> deliver(JSON.createObjectNode().put(FrameTypes.FIELD, FrameTypes.PONG).toString());
                default -> {
                    // read, typing, history: no HTTP form in this transport (documented)
                }
            }
        });
        return true;
    }

    private void hello(long cursor) {
        pollCursor = cursor;
        poll(0, true);
    }

    /** One poll; {@code welcome}: this is the hello's poll, whose answer first becomes the welcome frame. */
    private void poll(long waitSeconds, boolean welcome) {
        if (!open || polling) {
            return;
        }
        polling = true;
        long from = pollCursor;
        lastPollStartNanos = System.nanoTime();
        runtime.stats().polls.increment();
        request(pollLane, HttpMethod.GET, ApiPaths.POLL + "?cursor=" + from + "&wait=" + waitSeconds, null, (status, body) -> {
            polling = false;
            if (status == 401) {
                failWith(CloseCodes.POLICY_VIOLATION, "poll: 401 " + body);
                return;
            }
            if (status != 200) {
                fail("poll: HTTP " + status + " " + body);
                return;
            }
            try {
                JsonNode p = JSON.readTree(body);
                if (welcome) {
                    ObjectNode w = JSON.createObjectNode().put(FrameTypes.FIELD, FrameTypes.WELCOME).put("user", user)
                            .put("node", p.path("node").asText()).put("cursor", from);
                    if (p.hasNonNull("ip")) {
                        w.put("ip", p.path("ip").asText());
                    }
                    deliver(w.toString());
                }
                if (p.path("messages").isEmpty()) {
                    runtime.stats().emptyPolls.increment();
                }
                for (JsonNode m : p.path("messages")) {
                    ObjectNode msg = m.deepCopy();
                    msg.put(FrameTypes.FIELD, FrameTypes.MSG);
                    deliver(msg.toString());
                }
                // A sync that moved the cursor while this poll ran wins only if it went back.
                long next = p.path("cursor").asLong(from);
                pollCursor = pollCursor != from ? Math.min(pollCursor, next) : next;
            } catch (IOException e) {
                fail("poll: " + e.getMessage());
                return;
            }
            scheduleNextPoll();
        });
    }

    private void scheduleNextPoll() {
        if (!open) {
            return;
        }
        if (kind == Kind.LONG_POLL) {
            poll(pollWait.toSeconds(), false);
            return;
        }
        // Fixed interval between poll starts; a poll slower than the interval is followed at once.
        long dueIn = lastPollStartNanos + pollInterval.toNanos() - System.nanoTime();
        if (dueIn <= 0) {
            poll(0, false);
        } else {
            loop.schedule(() -> poll(0, false), dueIn, TimeUnit.NANOSECONDS);
        }
    }

    private void post(JsonNode send) {
        String id = send.path("id").asText();
        ObjectNode body = JSON.createObjectNode().put("id", id).put("conv", send.path("conv").asText())
                .put("body", send.path("body").asText());
        request(sendLane, HttpMethod.POST, ApiPaths.SEND, body.toString(), (status, text) -> {
            if (status == 401) {
                failWith(CloseCodes.POLICY_VIOLATION, "send: 401");
                return;
            }
            try {
                ObjectNode answer = (ObjectNode) JSON.readTree(text);
                if (!answer.has("ref") && FrameTypes.ERROR.equals(answer.path(FrameTypes.FIELD).asText())) {
                    answer.put("ref", id);
                }
                deliver(answer.toString());
            } catch (IOException | ClassCastException e) {
                fail("send: HTTP " + status + " " + text);
            }
        });
    }

    // ------------------------------------------------------------------ HTTP lanes

    private record Pending(FullHttpRequest request, Duration timeout, BiConsumer<Integer, String> onAnswer) {
    }

    /**
     * One request at a time on one (kept-alive) connection, in submission order; runs on
     * {@link #loop}. Without keep-alive each request gets a fresh connection that the node closes.
     */
    private final class Lane {
        final ArrayDeque<Pending> queue = new ArrayDeque<>();
        Channel channel;
        boolean busy;
        io.netty.util.concurrent.ScheduledFuture<?> deadline;

        void submit(Pending p) {
            queue.add(p);
            pump();
        }

        void pump() {
            if (busy || queue.isEmpty() || !open) {
                return;
            }
            busy = true;
            if (channel != null && channel.isActive()) {
                write();
                return;
            }
            channel = null;
            Bootstrap b = new Bootstrap().group(loop).channel(runtime.channelClass())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast("bytes", runtime.stats().byteCounter());
                            if (ssl != null) {
                                ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc(), host(), port()));
                            }
                            ch.pipeline().addLast("http", new HttpClientCodec());
                            ch.pipeline().addLast("agg", new HttpObjectAggregator(MAX_RESPONSE));
                            ch.pipeline().addLast("answer", new AnswerHandler(Lane.this));
                        }
                    });
            InetSocketAddress remote = new InetSocketAddress(host(), port());
            runtime.stats().connectAttempts.increment();
            ChannelFuture cf = local == null ? b.connect(remote) : b.connect(remote, new InetSocketAddress(local, 0));
            cf.addListener((ChannelFuture f) -> {
                if (!f.isSuccess()) {
                    busy = false;
                    fail("connect " + remote + ": " + f.cause());
                    return;
                }
                channel = f.channel();
                channel.closeFuture().addListener(x -> loop.execute(() -> onChannelClosed(f.channel())));
                write();
            });
        }

        private void write() {
            Pending p = queue.peek();
            if (p == null || !open) {
                busy = false;
                return;
            }
            runtime.stats().httpRequests.increment();
            deadline = loop.schedule(() -> {
                log.debug("{}: no answer to {} {} within {}", user, p.request.method(), p.request.uri(), p.timeout);
                fail("no answer to " + p.request.method() + " " + p.request.uri() + " within " + p.timeout.toMillis() + " ms");
            }, p.timeout.toNanos(), TimeUnit.NANOSECONDS);
            channel.writeAndFlush(p.request.retainedDuplicate()).addListener(w -> {
                if (!w.isSuccess()) {
                    fail("write: " + w.cause());
                }
            });
        }

        void onAnswer(int status, String body, boolean serverKeepsAlive) {
            cancelDeadline();
            Pending p = queue.poll();
            busy = false;
            if (p == null) {
                return;
            }
            p.request.release();
            if (!keepAlive || !serverKeepsAlive) {
                Channel c = channel;
                channel = null;
                if (c != null) {
                    c.close();
                }
            }
            p.onAnswer.accept(status, body);
            pump();
        }

        private void cancelDeadline() {
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
        }

        void onChannelClosed(Channel c) {
            if (c != channel) {
                return; // a finished Connection: close exchange
            }
            channel = null;
            if (busy) {
                busy = false;
                fail("connection closed before the answer");
            }
        }

        void releaseAll() {
            cancelDeadline();
            Pending p;
            while ((p = queue.poll()) != null) {
                p.request.release();
            }
            if (channel != null) {
                channel.close();
                channel = null;
            }
        }
    }

    private final class AnswerHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final Lane lane;

        AnswerHandler(Lane lane) {
            this.lane = lane;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
            if (ctx.channel() != lane.channel) {
                return; // an answer on a connection the lane already gave up (the transport failed)
            }
            lane.onAnswer(r.status().code(), r.content().toString(StandardCharsets.UTF_8), HttpUtil.isKeepAlive(r));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private void request(Lane lane, HttpMethod method, String pathAndQuery, String body, BiConsumer<Integer, String> onAnswer) {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, pathAndQuery, Unpooled.wrappedBuffer(bytes));
        req.headers().set(HttpHeaderNames.HOST, host() + ":" + port())
                .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token)
                .set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
        if (body != null) {
            req.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        }
        HttpUtil.setContentLength(req, bytes.length);
        Duration timeout = ANSWER_TIMEOUT.plus(pathAndQuery.startsWith(ApiPaths.POLL) ? pollWait : Duration.ZERO);
        lane.submit(new Pending(req, timeout, onAnswer));
    }

    private String host() {
        return base.getHost();
    }

    private int port() {
        return base.getPort() > 0 ? base.getPort() : "https".equals(base.getScheme()) ? 443 : 80;
    }

    private void deliver(String json) {
        if (open) {
            listener.onText(json);
        }
    }

    private void fail(String reason) {
        failWith(CloseCodes.ABNORMAL, reason);
    }

    private void failWith(int code, String reason) {
        open = false;
        sendLane.releaseAll();
        pollLane.releaseAll();
        if (!closedFired && listener != null) {
            closedFired = true;
            listener.onClosed(code, reason, false);
        }
    }

    @Override
    public void close() {
        loop.execute(() -> failWith(CloseCodes.NORMAL, "closed by client"));
    }
}
