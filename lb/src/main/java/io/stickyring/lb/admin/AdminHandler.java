package io.stickyring.lb.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.stickyring.lb.config.Backends;
import io.stickyring.cli.HostPort;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.route.MemberRuntime;
import io.stickyring.lb.route.RoutingTable;
import io.stickyring.lb.route.Router;
import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.MembershipAdmin;
import io.stickyring.membership.MembershipView;
import io.stickyring.membership.NoSuchMemberException;
import io.stickyring.ring.Node;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The admin API (contract in BLUEPRINT section 4, reference in docs/lb.md): /metrics, /healthz,
 * /readyz, /members, /lookup, /connections, /whatif, the stats page ({@link StatsPage}), and the runtime API POST /members/ID/state,
 * /weight, /drain and /undrain. JSON everywhere except /metrics (Prometheus text).
 *
 * <p>Invariant: read-only endpoints never change routing; with a token configured, every endpoint
 * except the two probes answers 401 without {@code Authorization: Bearer TOKEN}.
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final AdminApi api;
    private final StatsPage stats;

    AdminHandler(AdminApi api, StatsPage stats) {
        this.api = api;
        this.stats = stats;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        String path = q.path();
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (!req.decoderResult().isSuccess()) {
            send(ctx, keepAlive, HttpResponseStatus.BAD_REQUEST, error("malformed request"));
            return;
        }
        if (path.equals("/healthz")) {
            send(ctx, keepAlive, HttpResponseStatus.OK, Map.of("status", "up"));
            return;
        }
        if (path.equals("/readyz")) {
            RoutingTable t = api.router().table();
            boolean ready = !t.members().isEmpty();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("ready", ready);
            body.put("viewVersion", t.view().version());
            body.put("members", t.members().size());
            body.put("stale", t.view().stale());
            send(ctx, keepAlive, ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
            return;
        }
        boolean statsPath = StatsPage.handles(path);
        if (!authorized(req, statsPath)) {
            FullHttpResponse r = json(HttpResponseStatus.UNAUTHORIZED, error("missing or wrong bearer token"));
            if (statsPath) {
                // a browser cannot send a bearer token: it asks for the token as a Basic password instead
                r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"stickyring lb\", charset=\"UTF-8\"");
            }
            write(ctx, keepAlive, r);
            return;
        }
        if (statsPath) {
            stats(ctx, keepAlive, req, path);
            return;
        }
        try {
            if (path.equals("/metrics") && req.method() == HttpMethod.GET) {
                FullHttpResponse r = new DefaultFullHttpResponse(req.protocolVersion(), HttpResponseStatus.OK,
                        Unpooled.wrappedBuffer(api.metrics().scrape()));
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, api.metrics().contentType());
                write(ctx, keepAlive, r);
            } else if (path.equals("/members") && req.method() == HttpMethod.GET) {
                send(ctx, keepAlive, HttpResponseStatus.OK, members());
            } else if (path.equals("/lookup") && req.method() == HttpMethod.GET) {
                String ip = param(q, "ip");
                if (ip == null) {
                    send(ctx, keepAlive, HttpResponseStatus.BAD_REQUEST, error("missing query parameter ip"));
                    return;
                }
                long key = KeyFunctions.keyOf(api.keyFunction(), ip);
                RoutingTable.Lookup l = api.router().table().lookup(key);
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("ip", ip);
                body.put("key", l.key());
                body.put("member", l.owner());
                body.put("preference", l.preference());
                body.put("candidates", l.candidates());
                send(ctx, keepAlive, l.owner() == null ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK, body);
            } else if (path.equals("/connections") && req.method() == HttpMethod.GET) {
                connections(ctx, keepAlive, q);
            } else if (path.equals("/whatif") && req.method() == HttpMethod.GET) {
                String remove = param(q, "remove");
                String add = param(q, "add");
                Node addNode = null;
                if (add != null) {
                    Member m;
                    try {
                        m = Backends.parse(add);
                    } catch (IllegalArgumentException e) {
                        send(ctx, keepAlive, HttpResponseStatus.BAD_REQUEST, error("add: " + e.getMessage()));
                        return;
                    }
                    // Without /WEIGHT the newcomer gets the weight most members have, so the prediction
                    // matches a node started with the same settings as the others.
                    int weight = add.substring(add.indexOf('=') + 1).contains("/") ? m.weight()
                            : commonWeight(api.router().table().view());
                    addNode = new Node(m.id(), weight);
                }
                if (remove == null && addNode == null) {
                    send(ctx, keepAlive, HttpResponseStatus.BAD_REQUEST, error("give remove=ID and/or add=ID=HOST:PORT[/WEIGHT]"));
                    return;
                }
                if (remove != null && api.router().member(remove) == null) {
                    send(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, error("no member '" + remove + "' in the view"));
                    return;
                }
                send(ctx, keepAlive, HttpResponseStatus.OK, api.router().whatIf(remove, addNode));
            } else if (path.startsWith("/members/") && path.lastIndexOf('/') > "/members/".length()) {
                memberAction(ctx, keepAlive, req, q, path);
            } else {
                send(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, error("no endpoint " + req.method() + " " + path));
            }
        } catch (IllegalArgumentException e) {
            send(ctx, keepAlive, HttpResponseStatus.BAD_REQUEST, error(e.getMessage()));
        }
    }

    /**
     * {@code POST /members/ID/ACTION}: {@code state} (value ready|drain|maint), {@code weight} (value
     * 1..256), {@code drain} and {@code undrain}. The value comes from the query ({@code ?state=drain},
     * {@code ?weight=3}) or the plain-text body. The change goes to the membership source (ZooKeeper:
     * every LB of the cluster sees it; static backends: this LB only) and comes back as a view.
     */
    private void memberAction(ChannelHandlerContext ctx, boolean keepAlive, FullHttpRequest req, QueryStringDecoder q,
                              String path) {
        int slash = path.lastIndexOf('/');
        String id = path.substring("/members/".length(), slash);
        String action = path.substring(slash + 1);
        if (!List.of("state", "weight", "drain", "undrain").contains(action)) {
            send(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, error("no endpoint " + req.method() + " " + path
                    + " (member actions: state, weight, drain, undrain)"));
            return;
        }
        if (req.method() != HttpMethod.POST) {
            send(ctx, keepAlive, HttpResponseStatus.METHOD_NOT_ALLOWED, error("use POST"));
            return;
        }
        String value = param(q, action);
        if (value == null) {
            value = req.content().toString(StandardCharsets.UTF_8).trim();
        }
        java.util.function.Function<MembershipAdmin, Member> change = switch (action) {
            case "drain" -> a -> a.setState(id, MemberState.DRAINING);
            case "undrain" -> a -> a.setState(id, MemberState.ACTIVE);
            case "state" -> {
                MemberState s = RuntimeState.parse(value);
                yield a -> a.setState(id, s);
            }
            default -> {
                int w = RuntimeState.parseWeight(value);
                yield a -> a.setWeight(id, w);
            }
        };
        api.blocking().execute(() -> {
            try {
                Member m = change.apply(api.admin());
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("member", m.id());
                body.put("state", m.state().name());
                body.put("weight", m.weight());
                send(ctx, keepAlive, HttpResponseStatus.OK, body);
            } catch (NoSuchMemberException e) {
                send(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, error(e.getMessage()));
            } catch (RuntimeException e) {
                send(ctx, keepAlive, HttpResponseStatus.SERVICE_UNAVAILABLE, error(action + " failed: " + e.getMessage()));
            }
        });
    }

    /** The stats page ({@link StatsPage}): its HTML, script and style from the jar, and its JSON. */
    private void stats(ChannelHandlerContext ctx, boolean keepAlive, FullHttpRequest req, String path) {
        if (req.method() != HttpMethod.GET) {
            send(ctx, keepAlive, HttpResponseStatus.METHOD_NOT_ALLOWED, error("use GET"));
            return;
        }
        FullHttpResponse r;
        if (path.equals("/stats.json")) {
            r = json(HttpResponseStatus.OK, stats.snapshot());
        } else {
            StatsPage.File f = StatsPage.file(path);
            if (f == null) {
                send(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, error("no endpoint GET " + path));
                return;
            }
            r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(f.bytes()));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, f.contentType());
        }
        r.headers().set(HttpHeaderNames.CONTENT_SECURITY_POLICY, StatsPage.CSP);
        r.headers().set("X-Content-Type-Options", "nosniff");
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        write(ctx, keepAlive, r);
    }

    /** Streams the live connections (see {@link ConnectionsExport}); 404 for a member not in the view. */
    private void connections(ChannelHandlerContext ctx, boolean keepAlive, QueryStringDecoder q) {
        ConnectionsExport.Format format = ConnectionsExport.Format.parse(param(q, "format"));
        String member = param(q, "member");
        if (member != null && api.router().member(member) == null) {
            send(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, error("no member '" + member + "' in the view"));
            return;
        }
        ConnectionsExport body = new ConnectionsExport(api.connections(), member, format);
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, body.contentType());
        HttpUtil.setTransferEncodingChunked(r, true);
        HttpUtil.setKeepAlive(r, keepAlive);
        ctx.write(r);
        ChannelFuture done = ctx.writeAndFlush(new HttpChunkedInput(body));
        if (!keepAlive) {
            done.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private Map<String, Object> members() {
        RoutingTable t = api.router().table(); // one snapshot: shares, states and the ring agree
        Map<String, Double> shares = t.shares();
        List<Map<String, Object>> list = new ArrayList<>();
        for (MemberRuntime m : t.members()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("id", m.id());
            e.put("address", m.member().address());
            e.put("weight", m.member().weight());
            e.put("state", m.displayState());
            e.put("connections", m.activeConnections());
            e.put("share", shares.getOrDefault(m.id(), 0.0));
            e.put("zone", m.member().zone());
            list.add(e);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("version", t.view().version());
        body.put("stale", t.view().stale());
        body.put("algorithm", t.hash() == null ? null : t.hash().algorithm());
        body.put("members", list);
        body.put("badMembers", api.badMembers().get());
        return body;
    }

    /**
     * With a token configured: {@code Authorization: Bearer TOKEN}, or on the stats page (which a
     * browser opens) also HTTP Basic with the token as the password and any user name.
     */
    private boolean authorized(FullHttpRequest req, boolean allowBasic) {
        if (api.token() == null) {
            return true;
        }
        String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (h == null) {
            return false;
        }
        byte[] token = api.token().getBytes(StandardCharsets.UTF_8);
        if (allowBasic && h.regionMatches(true, 0, "Basic ", 0, 6)) {
            byte[] decoded;
            try {
                decoded = java.util.Base64.getDecoder().decode(h.substring(6).trim());
            } catch (IllegalArgumentException e) {
                return false;
            }
            String userPass = new String(decoded, StandardCharsets.UTF_8);
            int colon = userPass.indexOf(':');
            return colon >= 0 && MessageDigest.isEqual(userPass.substring(colon + 1).getBytes(StandardCharsets.UTF_8), token);
        }
        String want = "Bearer " + api.token();
        return MessageDigest.isEqual(h.getBytes(StandardCharsets.UTF_8), want.getBytes(StandardCharsets.UTF_8));
    }

    private static String param(QueryStringDecoder q, String name) {
        List<String> v = q.parameters().get(name);
        return v == null || v.isEmpty() || v.get(0).isEmpty() ? null : v.get(0);
    }

    private static Map<String, Object> error(String message) {
        return Map.of("error", message);
    }

    private static void send(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, Object body) {
        write(ctx, keepAlive, json(status, body));
    }

    private static FullHttpResponse json(HttpResponseStatus status, Object body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (Exception e) {
            bytes = ("{\"error\":\"" + e.getClass().getSimpleName() + "\"}").getBytes(StandardCharsets.UTF_8);
            status = HttpResponseStatus.INTERNAL_SERVER_ERROR;
        }
        FullHttpResponse r = new DefaultFullHttpResponse(io.netty.handler.codec.http.HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        return r;
    }

    private static void write(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse r) {
        HttpUtil.setContentLength(r, r.content().readableBytes());
        HttpUtil.setKeepAlive(r, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(r);
        } else {
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    /** The weight most members of {@code view} have (the smallest of equally common ones); 1 for no view. */
    static int commonWeight(MembershipView view) {
        if (view == null || view.members().isEmpty()) {
            return 1;
        }
        java.util.TreeMap<Integer, Integer> counts = new java.util.TreeMap<>();
        for (Member m : view.members()) {
            counts.merge(m.weight(), 1, Integer::sum);
        }
        int best = counts.firstKey();
        for (var e : counts.entrySet()) {
            if (e.getValue() > counts.get(best)) {
                best = e.getKey();
            }
        }
        return best;
    }
}
