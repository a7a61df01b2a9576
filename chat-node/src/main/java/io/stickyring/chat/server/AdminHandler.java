package io.stickyring.chat.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.function.Supplier;

/**
 * The node's admin listener ({@code --admin}, loopback by default): {@code GET /metrics}
 * (Prometheus text) and {@code GET /healthz} (node id and state). Neither is served on the public
 * chat port. Invariant: with an admin token configured, {@code /metrics} answers 401 unless the
 * request carries {@code Authorization: Bearer TOKEN} (compared in constant time); {@code /healthz}
 * stays open for probes, as on the LB's admin API.
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final ChatMetrics metrics;
    private final String nodeId;
    private final Supplier<String> state;
    private final byte[] token;

    AdminHandler(ChatMetrics metrics, String nodeId, Supplier<String> state, byte[] token) {
        this.metrics = metrics;
        this.nodeId = nodeId;
        this.state = state;
        this.token = token;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        String path = new QueryStringDecoder(req.uri()).path();
        if (!req.decoderResult().isSuccess()) {
            text(ctx, keepAlive, HttpResponseStatus.BAD_REQUEST, "malformed request\n");
            return;
        }
        if (!path.equals("/metrics") && !path.equals("/healthz")) {
            text(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, "not found; this listener serves /metrics and /healthz\n");
            return;
        }
        if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
            text(ctx, keepAlive, HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET\n");
            return;
        }
        if (path.equals("/healthz")) {
            byte[] body = Frames.encode(Frames.JSON.createObjectNode().put("status", "ok").put("node", nodeId)
                    .put("state", state.get())).getBytes(StandardCharsets.UTF_8);
            respond(ctx, keepAlive, HttpResponseStatus.OK, body, "application/json");
        } else if (!authorized(req)) {
            text(ctx, keepAlive, HttpResponseStatus.UNAUTHORIZED, "missing or wrong bearer token\n");
        } else {
            respond(ctx, keepAlive, HttpResponseStatus.OK, metrics.scrape(), ChatMetrics.contentType());
        }
    }

    private boolean authorized(FullHttpRequest req) {
        if (token == null) {
            return true;
        }
        String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        return h != null && h.regionMatches(true, 0, "Bearer ", 0, 7)
                && MessageDigest.isEqual(h.substring(7).trim().getBytes(StandardCharsets.UTF_8), token);
    }

    private static void text(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, String body) {
        respond(ctx, keepAlive, status, body.getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8");
    }

    private static void respond(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, byte[] body, String type) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        HttpUtil.setContentLength(res, body.length);
        HttpUtil.setKeepAlive(res, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(res);
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
