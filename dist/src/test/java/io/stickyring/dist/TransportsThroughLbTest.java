package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.chat.loadgen.LoadGenerator;
import io.stickyring.chat.loadgen.LoadgenConfig;
import io.stickyring.chat.loadgen.LoadgenResult;
import io.stickyring.chat.server.ChatNode;
import io.stickyring.chat.server.NodeConfig;
import io.stickyring.lb.LoadBalancer;
import io.stickyring.cli.HostPort;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.config.ProxyProtocolMode;
import io.stickyring.lb.route.HashFactories;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.source.Membership;
import io.stickyring.membership.Member;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every loadgen transport (WebSocket, long poll, the naive poll; HTTP with and without keep-alive)
 * through the real LB (PROXY v2) to a node: every message once and in order, each user seen by the
 * node from its own address, and each TCP connection the LB accepted became exactly one connection
 * the node accepted, no more than the clients opened (plus their logins).
 */
@Timeout(120)
class TransportsThroughLbTest {
    @TempDir
    Path dir;

    static long counter(byte[] scrape, String name) {
        return new String(scrape, StandardCharsets.UTF_8).lines().filter(l -> l.startsWith(name + " "))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElseThrow();
    }

    @ParameterizedTest(name = "{0} keepalive={1}")
    @CsvSource({"WS,true", "LONGPOLL,true", "LONGPOLL,false", "POLL,true", "POLL,false"})
    void everyTransportDeliversOnceInOrderThroughTheLb(LoadgenConfig.Transport mode, boolean keepAlive) throws Exception {
        try (ChatNode node = ChatNode.start(NodeConfig.defaults("127.0.0.1", 0, "n1", "sqlite:" + dir.resolve("n.db"),
                "transports-test-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8)).with(b -> {
                    b.ioThreads = 1;
                    b.acceptProxyProtocol = true;
                    b.devLogin = true;
                    b.ratePerSecond = 10_000;
                    b.rateBurst = 10_000;
                }).build())) {
            LbConfig.Builder b = LbConfig.builder().listen(new HostPort("127.0.0.1", 0)).admin(new HostPort("127.0.0.1", 0))
                    .backends(List.of(Member.of("n1", "127.0.0.1", node.address().getPort())));
            b.proxyProtocol = ProxyProtocolMode.V2;
            b.ioThreads = 1;
            b.acceptThreads = 1;
            b.shutdownGrace = Duration.ZERO;
            LbConfig cfg = b.build();
            try (LoadBalancer lb = LoadBalancer.start(cfg, Membership.of(cfg), HashFactories.defaults(),
                    KeyFunctions.of(cfg.keyMode(), cfg.prefixV4(), cfg.prefixV6()))) {
                long lbBefore = counter(lb.metrics().scrape(), "stickyring_lb_connections_accepted_total");
                long nodeBefore = counter(node.metrics().scrape(), "stickyring_chat_tcp_accepted_total");
                LoadgenConfig lg = new LoadgenConfig(URI.create("http://127.0.0.1:" + lb.proxyAddress().getPort()), 6, 60, 64,
                        LoadgenConfig.Shape.DIRECT, 2, Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofSeconds(30),
                        7, 1, "tl" + mode.ordinal() + (keepAlive ? "k" : "c"), Duration.ofSeconds(1), null, Duration.ZERO,
                        new LoadgenConfig.TransportSpec(mode, Duration.ofMillis(200), Duration.ofSeconds(2), keepAlive));
                LoadgenResult r = new LoadGenerator(lg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
                assertThat(r.correct()).as(r.toTable()).isTrue();
                assertThat(r.sent()).isGreaterThan(60);
                assertThat(r.delivered()).isEqualTo(r.expectedDeliveries());
                assertThat(r.config().get("distinct_client_ips_seen_by_nodes")).isEqualTo(6);
                @SuppressWarnings("unchecked")
                Map<String, Object> wire = (Map<String, Object>) r.config().get("wire");
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        counter(lb.metrics().scrape(), "stickyring_lb_connections_accepted_total") - lbBefore
                                == counter(node.metrics().scrape(), "stickyring_chat_tcp_accepted_total") - nodeBefore);
                long lbAccepted = counter(lb.metrics().scrape(), "stickyring_lb_connections_accepted_total") - lbBefore;
                assertThat(lbAccepted).as("LB accepts >= the clients' connections in the send phase")
                        .isGreaterThanOrEqualTo((long) wire.get("tcp_connections"));
                if (mode == LoadgenConfig.Transport.WS) {
                    assertThat((long) wire.get("http_requests")).isZero();
                    assertThat((long) wire.get("tcp_connections")).isZero(); // all opened before sending
                } else if (!keepAlive) {
                    assertThat((long) wire.get("tcp_connections")).isEqualTo((long) wire.get("http_requests"));
                }
            }
        }
    }
}
