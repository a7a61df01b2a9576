package io.stickyring.lb.health;

import static io.stickyring.lb.support.TestClient.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.stickyring.lb.LoadBalancer;
import io.stickyring.lb.config.HealthCheckMode;
import io.stickyring.lb.support.EchoBackend;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.lb.support.TestClient;
import io.stickyring.membership.Member;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Active health checks against real listeners: HTTP status flips and TCP listener loss. */
@Timeout(60)
class HealthCheckerTest {

    private final LbHarness h = new LbHarness();
    private HttpServer http;

    @AfterEach
    void close() {
        h.close();
        if (http != null) {
            http.stop(0);
        }
    }

    @Test
    void httpCheckParsesTheStatusAndAppliesFallAndRise() throws Exception {
        AtomicInteger status = new AtomicInteger(200);
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/healthz", ex -> {
            ex.sendResponseHeaders(status.get(), -1);
            ex.close();
        });
        http.start();
        EchoBackend b1 = h.backend("h1", false);
        EchoBackend b2 = h.backend("h2", false);
        // "hc" is a member whose address serves real HTTP with a status the test controls.
        Member hc = Member.of("hc", "127.0.0.1", http.getAddress().getPort());
        List<Member> members = List.of(b1.member(), b2.member(), hc);
        LoadBalancer lb = h.start(b -> {
            b.backends = members;
            b.healthCheck = HealthCheckMode.HTTP;
            b.healthInterval = Duration.ofMillis(100);
            b.healthTimeout = Duration.ofMillis(500);
            b.healthFall = 2;
            b.healthRise = 2;
        });
        // Echo backends answer GET /healthz with an echo, not HTTP: they fail the HTTP check and go down,
        // which proves the check parses the status line rather than only connecting.
        await().atMost(Duration.ofSeconds(10)).until(() -> !lb.router().member("h1").up() && !lb.router().member("h2").up());
        assertThat(lb.router().member("hc").up()).isTrue();
        status.set(503);
        await().atMost(Duration.ofSeconds(10)).until(() -> !lb.router().member("hc").up());
        status.set(204);
        await().atMost(Duration.ofSeconds(10)).until(() -> lb.router().member("hc").up());
    }

    @Test
    void tcpCheckMarksALostListenerDownAndLeavesOtherConnectionsAlone() throws Exception {
        h.backend("t1", false);
        h.backend("t2", false);
        LoadBalancer lb = h.start(b -> {
            b.healthCheck = HealthCheckMode.TCP;
            b.healthInterval = Duration.ofMillis(100);
            b.healthTimeout = Duration.ofMillis(500);
            b.healthFall = 2;
        });
        List<TestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                clients.add(new TestClient(ip(i), lb.proxyAddress()));
            }
            h.backends.get("t1").stop();
            await().atMost(Duration.ofSeconds(10)).until(() -> !lb.router().member("t1").up());
            for (int i = 0; i < clients.size(); i++) {
                if (clients.get(i).member().equals("t2")) {
                    assertThat(clients.get(i).echo("ok" + i)).isEqualTo("ok" + i);
                }
            }
            try (TestClient c = new TestClient(ip(1000), lb.proxyAddress())) {
                assertThat(c.member()).isEqualTo("t2");
            }
            assertThat(lb.metrics().pickRetries.get()).isZero(); // the check, not a failed connect, took t1 out
        } finally {
            for (TestClient c : clients) {
                c.close();
            }
        }
    }

    @Test
    void healthCheckProxyHeadersAreValidLocalHeaders() {
        io.netty.channel.embedded.EmbeddedChannel enc =
                new io.netty.channel.embedded.EmbeddedChannel(io.netty.handler.codec.haproxy.HAProxyMessageEncoder.INSTANCE);
        enc.writeOutbound(HealthChecker.localHeader(io.stickyring.lb.config.ProxyProtocolMode.V1));
        io.netty.buffer.ByteBuf v1 = enc.readOutbound();
        assertThat(v1.toString(java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PROXY UNKNOWN\r\n");
        v1.release();
        enc.writeOutbound(HealthChecker.localHeader(io.stickyring.lb.config.ProxyProtocolMode.V2));
        io.netty.buffer.ByteBuf v2 = enc.readOutbound();
        io.netty.channel.embedded.EmbeddedChannel dec =
                new io.netty.channel.embedded.EmbeddedChannel(new io.netty.handler.codec.haproxy.HAProxyMessageDecoder());
        dec.writeInbound(v2);
        io.netty.handler.codec.haproxy.HAProxyMessage m = dec.readInbound();
        assertThat(m.command()).isEqualTo(io.netty.handler.codec.haproxy.HAProxyCommand.LOCAL);
        m.release();
        assertThat(enc.finishAndReleaseAll()).isFalse();
        assertThat(dec.finishAndReleaseAll()).isFalse();
    }

    @Test
    void httpCheckSendsAProxyHeaderFirstToMembersThatRequireOne() throws Exception {
        for (io.stickyring.lb.config.ProxyProtocolMode mode : List.of(io.stickyring.lb.config.ProxyProtocolMode.V1,
                io.stickyring.lb.config.ProxyProtocolMode.V2)) {
            AtomicInteger headers = new AtomicInteger();
            io.netty.channel.Channel server = new io.netty.bootstrap.ServerBootstrap().group(h.backendGroup)
                    .channel(io.netty.channel.socket.nio.NioServerSocketChannel.class)
                    .childHandler(new io.netty.channel.ChannelInitializer<io.netty.channel.Channel>() {
                        @Override
                        protected void initChannel(io.netty.channel.Channel ch) {
                            ch.pipeline().addLast(new io.netty.handler.codec.haproxy.HAProxyMessageDecoder(),
                                    new io.netty.handler.codec.http.HttpServerCodec(),
                                    new io.netty.channel.ChannelInboundHandlerAdapter() {
                                        @Override
                                        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                                            if (msg instanceof io.netty.handler.codec.haproxy.HAProxyMessage hm) {
                                                headers.incrementAndGet();
                                                hm.release();
                                            } else if (msg instanceof io.netty.handler.codec.http.HttpRequest) {
                                                var r = new io.netty.handler.codec.http.DefaultFullHttpResponse(
                                                        io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
                                                        io.netty.handler.codec.http.HttpResponseStatus.OK);
                                                r.headers().set("content-length", 0);
                                                ctx.writeAndFlush(r).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
                                            } else {
                                                io.netty.util.ReferenceCountUtil.release(msg);
                                            }
                                        }
                                    });
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            try {
                Member pp = Member.of("pp", "127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort());
                LoadBalancer lb = h.start(b -> {
                    b.backends = List.of(pp);
                    b.proxyProtocol = mode;
                    b.healthCheck = HealthCheckMode.HTTP;
                    b.healthInterval = Duration.ofMillis(100);
                    b.healthFall = 1;
                });
                await().atMost(Duration.ofSeconds(10)).until(() -> headers.get() >= 3);
                assertThat(lb.router().member("pp").up()).as(mode.name()).isTrue();
            } finally {
                server.close().sync();
            }
        }
    }
}
