package io.stickyring.chat.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.stickyring.chat.bus.BusEvent;
import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.RejectedException;
import io.stickyring.chat.protocol.ApiPaths;
import io.stickyring.chat.protocol.ErrorCodes;
import io.stickyring.chat.protocol.FrameTypes;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The HTTP side of a node: the JSON API of docs/protocol.md and the static web client
 * ({@code /metrics} and {@code /healthz} are on the admin listener, {@link AdminHandler}). Requests for {@code /ws} pass on to the WebSocket handshake; after the
 * upgrade this handler only forwards frames. Store work runs on the blocking executor and the
 * response is written from there (Netty writes are thread-safe).
 */
final class HttpApiHandler extends ChannelInboundHandlerAdapter {
    private final NodeContext node;
    private final Supplier<String> state;

    HttpApiHandler(NodeContext node, Supplier<String> state) {
        this.node = node;
        this.state = state;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest req)) {
            ctx.fireChannelRead(msg);
            return;
        }
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        node.metrics().httpRequests.labelValues(routeLabel(q.path())).inc();
        if (q.path().equals(ApiPaths.WS)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            route(ctx, req, q);
        } catch (RejectedException e) {
            fail(ctx, req, e);
        } finally {
            req.release();
        }
    }

    private void route(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q) {
        String path = q.path();
        HttpMethod m = req.method();
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        switch (path) {
            case ApiPaths.LOGIN -> {
                requireMethod(m, HttpMethod.POST);
                if (!node.config().devLogin()) {
                    throw new RejectedException(ErrorCodes.NOT_FOUND, "dev login is off on this node; get a token from your backend (docs/security.md)");
                }
                String user = Frames.text(body(req), "user");
                if (user == null || !io.stickyring.chat.model.Conversations.validUser(user)) {
                    throw new RejectedException(ErrorCodes.BAD_REQUEST, "login needs 'user' matching [A-Za-z0-9_.@-]{1,64}, got '" + user + "'");
                }
                json(ctx, keepAlive, HttpResponseStatus.OK, Frames.JSON.createObjectNode()
                        .put("user", user).put("token", node.tokens().issue(user)));
            }
            case ApiPaths.SEND -> {
                requireMethod(m, HttpMethod.POST);
                String user = auth(req);
                JsonNode b = body(req);
                rate(user);
                String id = Frames.text(b, "id");
                node.service().send(user, id, Frames.text(b, "conv"), Frames.text(b, "body"), ctx.executor()).whenComplete((ack, err) -> {
                    if (err != null) {
                        fail(ctx, keepAlive, err, id);
                    } else {
                        json(ctx, keepAlive, HttpResponseStatus.OK, Frames.ack(ack));
                    }
                });
            }
            case ApiPaths.POLL -> {
                requireMethod(m, HttpMethod.GET);
                String user = auth(req);
                rate(user);
                poll(ctx, keepAlive, user, q);
            }
            case ApiPaths.HISTORY -> {
                requireMethod(m, HttpMethod.GET);
                String user = auth(req);
                rate(user);
                String conv = param(q, "conv");
                long before = longParam(q, "before", 0);
                long limit = longParam(q, "limit", 50);
                node.service().history(user, conv, before, limit).whenComplete((msgs, err) -> {
                    if (err != null) {
                        fail(ctx, keepAlive, err, null);
                    } else {
                        json(ctx, keepAlive, HttpResponseStatus.OK, Frames.history(conv, before, msgs, null, node.config().maxReplyBytes()));
                    }
                });
            }
            case ApiPaths.LEAVE -> {
                requireMethod(m, HttpMethod.POST);
                String user = auth(req);
                JsonNode b = body(req);
                rate(user);
                String conv = Frames.text(b, "conv");
                node.service().leave(user, conv).whenComplete((c, err) -> {
                    if (err != null) {
                        fail(ctx, keepAlive, err, null);
                    } else {
                        json(ctx, keepAlive, HttpResponseStatus.OK, Frames.left(conv, null));
                    }
                });
            }
            case ApiPaths.CONVERSATIONS -> {
                String user = auth(req);
                rate(user);
                if (m.equals(HttpMethod.POST)) {
                    JsonNode b = body(req);
                    if (!node.groupRateLimiter().tryAcquire(user)) {
                        throw new RejectedException(ErrorCodes.RATE_LIMITED, "group creation limit " + node.config().groupsPerMinute()
                                + "/min exceeded; retry in " + node.groupRateLimiter().retryAfterMillis(user) + " ms");
                    }
                    JsonNode members = b.get("members");
                    if (members == null || !members.isArray()) {
                        throw new RejectedException(ErrorCodes.BAD_REQUEST, "'members' must be an array of user ids");
                    }
                    TreeSet<String> set = new TreeSet<>();
                    for (JsonNode n : members) {
                        if (!n.isTextual()) {
                            throw new RejectedException(ErrorCodes.BAD_REQUEST, "member " + n + " is not a string");
                        }
                        set.add(n.asText());
                    }
                    node.service().createGroup(user, set, Frames.text(b, "title")).whenComplete((c, err) -> {
                        if (err != null) {
                            fail(ctx, keepAlive, err, null);
                        } else {
                            json(ctx, keepAlive, HttpResponseStatus.OK, Frames.conversation(c));
                        }
                    });
                } else {
                    requireMethod(m, HttpMethod.GET);
                    node.service().conversations(user).whenComplete((list, err) -> {
                        if (err != null) {
                            fail(ctx, keepAlive, err, null);
                        } else {
                            ObjectNode out = Frames.JSON.createObjectNode();
                            ArrayNode arr = out.putArray("conversations");
                            list.forEach(c -> arr.add(Frames.conversation(c)));
                            json(ctx, keepAlive, HttpResponseStatus.OK, out);
                        }
                    });
                }
            }
            default -> {
                Optional<StaticFiles.File> f = node.staticFiles().get(path);
                if (f.isEmpty()) {
                    throw new RejectedException(ErrorCodes.NOT_FOUND, "no route " + m + " " + path);
                }
                requireRead(m);
                respond(ctx, keepAlive, HttpResponseStatus.OK, f.get().bytes(), f.get().contentType());
            }
        }
    }

    /** A bounded label for the request counter: the API routes by name, everything else "static". */
    private static String routeLabel(String path) {
        return switch (path) {
            case ApiPaths.WS -> "ws";
            case "/healthz", "/metrics", ApiPaths.LOGIN, ApiPaths.SEND, ApiPaths.POLL, ApiPaths.HISTORY, ApiPaths.CONVERSATIONS, ApiPaths.LEAVE ->
                    path.substring(path.lastIndexOf('/') + 1);
            default -> "static";
        };
    }

    /** Long poll: answer at once if anything is after the cursor, else wait up to {@code wait} seconds for a push. */
    private void poll(ChannelHandlerContext ctx, boolean keepAlive, String user, QueryStringDecoder q) {
        long cursor = longParam(q, "cursor", 0);
        long waitMs = Math.min(TimeUnit.SECONDS.toMillis(longParam(q, "wait", 0)), node.config().maxPollWait().toMillis());
        int limit = node.config().syncBatch();
        PollWaiter w = new PollWaiter(ctx, keepAlive, user, cursor, limit);
        // Listen before the first read, so a message committed in between wakes us.
        node.registry().attach(user, w);
        ctx.channel().closeFuture().addListener(w.onClose);
        node.service().readInbox(user, cursor, limit)
                .whenComplete((read, err) -> ctx.executor().execute(() -> {
                    List<InboxEntry> list = read == null ? null : read.entries();
                    if (err != null || !list.isEmpty() || waitMs == 0 || w.woken) {
                        if (err == null && list.isEmpty()) {
                            w.finish(true);
                        } else {
                            w.answer(list, err);
                        }
                        return;
                    }
                    w.timer = ctx.executor().schedule(() -> w.finish(true), waitMs, TimeUnit.MILLISECONDS);
                }));
    }

    private final class PollWaiter implements SessionRegistry.Listener {
        final ChannelHandlerContext ctx;
        final boolean keepAlive;
        final String user;
        final long cursor;
        final int limit;
        boolean woken;
        boolean done;
        ScheduledFuture<?> timer;
        final io.netty.util.concurrent.GenericFutureListener<io.netty.util.concurrent.Future<? super Void>> onClose = f -> finish(false);

        PollWaiter(ChannelHandlerContext ctx, boolean keepAlive, String user, long cursor, int limit) {
            this.ctx = ctx;
            this.keepAlive = keepAlive;
            this.user = user;
            this.cursor = cursor;
            this.limit = limit;
        }

        @Override
        public void onEvent(BusEvent event) {
            if (event instanceof BusEvent.Delivery d && d.cursor() > cursor) {
                wake();
            } else if (event instanceof BusEvent.Resync rs) {
                // The bus may have lost a push: the inbox head says whether there is something to answer with.
                node.service().inboxHead(user).thenAccept(head -> {
                    if (head > cursor) {
                        rs.healed().run();
                        wake();
                    }
                });
            }
        }

        private void wake() {
            ctx.executor().execute(() -> {
                woken = true;
                if (timer != null) {
                    finish(true);
                }
            });
        }

        /** Stops waiting; with {@code read}, reads the store again and answers. Runs once. */
        void finish(boolean read) {
            if (!ctx.executor().inEventLoop()) {
                ctx.executor().execute(() -> finish(read));
                return;
            }
            if (done) {
                return;
            }
            done = true;
            if (timer != null) {
                timer.cancel(false);
            }
            node.registry().detach(user, this);
            ctx.channel().closeFuture().removeListener(onClose);
            if (read) {
                node.service().readInbox(user, cursor, limit)
                        .whenComplete((r, err) -> write(r == null ? null : r.entries(), err));
            }
        }

        void answer(List<InboxEntry> list, Throwable err) {
            done = true;
            node.registry().detach(user, this);
            ctx.channel().closeFuture().removeListener(onClose);
            write(list, err);
        }

        private void write(List<InboxEntry> list, Throwable err) {
            if (err != null) {
                fail(ctx, keepAlive, err, null);
                return;
            }
            ObjectNode out = Frames.frame(FrameTypes.POLL);
            ArrayNode arr = out.putArray("messages");
            long last = cursor;
            long bytes = 0;
            boolean more = false;
            for (InboxEntry e : list) {
                ObjectNode m = Frames.msg(e.message(), e.cursor());
                long size = Frames.encodedSize(m);
                // A prefix of the inbox, so the returned cursor stays contiguous; the rest comes next poll.
                if (!arr.isEmpty() && bytes + size > node.config().maxReplyBytes()) {
                    more = true;
                    break;
                }
                bytes += size;
                arr.add(m);
                last = e.cursor();
            }
            out.put("cursor", last);
            // Who answered and whom it saw: the HTTP transports' welcome (the WebSocket's welcome carries the same).
            out.put("node", node.config().nodeId());
            out.put("ip", ClientAddress.ip(ctx.channel()));
            node.metrics().polls.labelValues(list.isEmpty() ? "empty" : "messages").inc();
            out.put("more", more);
            json(ctx, keepAlive, HttpResponseStatus.OK, out);
        }
    }

    // ------------------------------------------------------------------ helpers

    private String auth(FullHttpRequest req) {
        String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (h != null && h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            Optional<String> user = node.tokens().verify(h.substring(7).trim());
            if (user.isPresent()) {
                return user.get();
            }
        }
        throw new RejectedException(ErrorCodes.NOT_AUTHENTICATED, "missing, invalid or expired bearer token");
    }

    /** One token of the user's request bucket (shared with the WebSocket), or 429. */
    private void rate(String user) {
        if (!node.rateLimiter().tryAcquire(user)) {
            throw new RejectedException(ErrorCodes.RATE_LIMITED, "rate limit " + node.config().ratePerSecond()
                    + "/s exceeded; retry in " + node.rateLimiter().retryAfterMillis(user) + " ms");
        }
    }

    private static void requireMethod(HttpMethod actual, HttpMethod expected) {
        if (!actual.equals(expected)) {
            throw new RejectedException(ErrorCodes.METHOD_NOT_ALLOWED, "use " + expected + ", not " + actual);
        }
    }

    /** GET and HEAD only: anything else on a read-only resource is 405, not a silent 200. */
    private static void requireRead(HttpMethod actual) {
        if (!actual.equals(HttpMethod.GET) && !actual.equals(HttpMethod.HEAD)) {
            throw new RejectedException(ErrorCodes.METHOD_NOT_ALLOWED, "use GET or HEAD, not " + actual);
        }
    }

    private static JsonNode body(FullHttpRequest req) {
        String text;
        try {
            // Strict decoding: invalid UTF-8 is refused, not silently replaced with U+FFFD.
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(req.content().nioBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw new RejectedException(ErrorCodes.BAD_REQUEST, "request body is not valid UTF-8");
        }
        return Frames.parseObject(text);
    }

    private static String param(QueryStringDecoder q, String name) {
        List<String> v = q.parameters().get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static long longParam(QueryStringDecoder q, String name, long dflt) {
        String v = param(q, name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        try {
            long n = Long.parseLong(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new RejectedException(ErrorCodes.BAD_REQUEST, "query parameter '" + name + "' (" + v + ") must be an integer >= 0");
    }

    static HttpResponseStatus status(String code) {
        return switch (code) {
            case ErrorCodes.NOT_AUTHENTICATED -> HttpResponseStatus.UNAUTHORIZED;
            case ErrorCodes.NOT_MEMBER -> HttpResponseStatus.FORBIDDEN;
            case ErrorCodes.UNKNOWN_CONVERSATION, ErrorCodes.NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case ErrorCodes.TOO_LARGE -> HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
            case ErrorCodes.RATE_LIMITED -> HttpResponseStatus.TOO_MANY_REQUESTS;
            case ErrorCodes.TOO_MANY_GROUPS -> HttpResponseStatus.CONFLICT;
            case ErrorCodes.STORE_UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
            case ErrorCodes.METHOD_NOT_ALLOWED -> HttpResponseStatus.METHOD_NOT_ALLOWED;
            default -> HttpResponseStatus.BAD_REQUEST;
        };
    }

    private void fail(ChannelHandlerContext ctx, FullHttpRequest req, RejectedException e) {
        fail(ctx, HttpUtil.isKeepAlive(req), e, null);
    }

    private void fail(ChannelHandlerContext ctx, boolean keepAlive, Throwable err, String ref) {
        Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        String code;
        String message;
        if (cause instanceof RejectedException r) {
            code = r.code();
            message = r.getMessage();
        } else {
            code = ErrorCodes.STORE_UNAVAILABLE;
            message = "not stored (" + cause.getMessage() + "); retry with the same id";
        }
        node.metrics().reject(code);
        json(ctx, keepAlive, status(code), Frames.error(code, message, ref));
    }

    private static void json(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, JsonNode body) {
        respond(ctx, keepAlive, status, Frames.encode(body).getBytes(StandardCharsets.UTF_8), "application/json");
    }

    private static void respond(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, byte[] body, String type) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        if (keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(res);
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
