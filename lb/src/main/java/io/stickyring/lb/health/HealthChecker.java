package io.stickyring.lb.health;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.stickyring.lb.config.ProxyProtocolMode;
import io.stickyring.lb.config.HealthCheckMode;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.route.MemberRuntime;
import io.stickyring.lb.route.Router;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Active health checks: every {@code --health-interval}, each member in the view gets a TCP connect
 * or an HTTP GET of {@code --health-path} (2xx passes), bounded by {@code --health-timeout}. Results
 * go to {@link Router#checkResult}, which applies rise/fall.
 *
 * Members in maintenance (MAINT) are not checked.
 *
 * <p>Invariant: at most one check per member is in flight (a member whose previous check has not
 * finished is skipped), so a slow member cannot pile up sockets.
 */
public final class HealthChecker implements AutoCloseable {

    private final LbConfig config;
    private final Router router;
    private final ScheduledExecutorService control;
    private final Bootstrap bootstrap;
    private final java.util.Set<String> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private ScheduledFuture<?> task;

    public HealthChecker(LbConfig config, Router router, ScheduledExecutorService control, EventLoopGroup group,
                         Class<? extends SocketChannel> channelClass) {
        this.config = config;
        this.router = router;
        this.control = control;
        this.bootstrap = new Bootstrap().group(group).channel(channelClass)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.healthTimeout().toMillis())
                .option(ChannelOption.TCP_NODELAY, true);
    }

    public void start() {
        long every = config.healthInterval().toMillis();
        task = control.scheduleWithFixedDelay(this::checkAll, 0, every, TimeUnit.MILLISECONDS);
    }

    private void checkAll() {
        for (MemberRuntime m : router.table().members()) {
            // MAINT: an operator is working on the member; no checks, so no DOWN alarms
            if (!m.maint() && inFlight.add(m.id())) {
                check(m, ok -> {
                    inFlight.remove(m.id());
                    control.execute(() -> router.checkResult(m, ok));
                });
            }
        }
    }

    void check(MemberRuntime m, Consumer<Boolean> done) {
        if (config.healthCheck() == HealthCheckMode.TCP) {
            bootstrap.clone().handler(new ChannelInboundHandlerAdapter()).connect(m.address()).addListener((ChannelFuture f) -> {
                done.accept(f.isSuccess());
                f.channel().close();
            });
            return;
        }
        boolean[] reported = {false};
        Consumer<Boolean> once = ok -> {
            if (!reported[0]) {
                reported[0] = true;
                done.accept(ok);
            }
        };
        ChannelFuture cf = bootstrap.clone()
                .handler(new HttpCheckInitializer(config.proxyProtocol() != ProxyProtocolMode.NONE,
                        config.healthTimeout().toMillis(), once))
                .connect(m.address());
        cf.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                once.accept(false);
                return;
            }
            DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, config.healthPath());
            req.headers().set(HttpHeaderNames.HOST, m.member().address());
            req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            req.headers().set(HttpHeaderNames.USER_AGENT, "stickyring-lb-health");
            if (config.proxyProtocol() != ProxyProtocolMode.NONE) {
                // members that expect a PROXY header get one saying "this is the balancer itself";
                // written below the HTTP codec so only the PROXY encoder sees it
                f.channel().pipeline().context(HttpClientCodec.class).write(localHeader(config.proxyProtocol()));
            }
            f.channel().writeAndFlush(req);
        });
    }

    /**
     * The header a health check sends to members expecting PROXY protocol: "the balancer itself, no
     * client". v2 has the LOCAL command; v1 has "PROXY UNKNOWN", written as raw bytes because
     * Netty's encoder needs addresses for v1.
     */
    static Object localHeader(ProxyProtocolMode mode) {
        return mode == ProxyProtocolMode.V1
                ? Unpooled.copiedBuffer("PROXY UNKNOWN\r\n", StandardCharsets.US_ASCII)
                : new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.LOCAL, HAProxyProxiedProtocol.UNKNOWN,
                        null, null, 0, 0);
    }

    @Override
    public void close() {
        if (task != null) {
            task.cancel(false);
        }
    }
}
