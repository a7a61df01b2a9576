package io.stickyring.chat.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stickyring.chat.server.ChatNode;
import io.stickyring.chat.server.NodeConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class LoadGeneratorTest {
    @TempDir
    Path dir;

    private ChatNode node() throws Exception {
        return ChatNode.start(NodeConfig.defaults("127.0.0.1", 0, "n1", "sqlite:" + dir.resolve("n.db"),
                "loadgen-test-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8)).with(b -> {
                    b.ioThreads = 1;
                    b.blockingThreads = 2;
                    b.devLogin = true;
                }).build());
    }

    private static LoadgenConfig config(URI url, LoadgenConfig.Shape shape, int users, int group) {
        return new LoadgenConfig(url, users, 200, 64, shape, group, Duration.ofSeconds(2), Duration.ofSeconds(30),
                Duration.ofSeconds(30), 3, 1, "t" + shape.ordinal(), Duration.ofSeconds(1), null, Duration.ZERO);
    }

    @Test
    void directPairsFromDistinctSourceIpsLoseNothing() throws Exception {
        try (ChatNode n = node()) {
            ByteArrayOutputStream progress = new ByteArrayOutputStream();
            LoadgenResult r = new LoadGenerator(config(URI.create("http://127.0.0.1:" + n.address().getPort()),
                    LoadgenConfig.Shape.DIRECT, 20, 2), new PrintStream(progress, true, StandardCharsets.UTF_8)).run();
            assertThat(r.sent()).isGreaterThan(300);
            assertThat(r.acked()).isEqualTo(r.sent());
            assertThat(r.expectedDeliveries()).isEqualTo(r.acked());
            assertThat(r.delivered()).isEqualTo(r.expectedDeliveries());
            assertThat(r.lost()).isZero();
            assertThat(r.duplicated()).isZero();
            assertThat(r.outOfOrder()).isZero();
            assertThat(r.correct()).isTrue();
            assertThat(r.ackLatencyMs().get("count")).isEqualTo((double) r.acked());
            assertThat(r.e2eLatencyMs().get("count")).isEqualTo((double) r.delivered());
            // every user came from its own 127.3.x.y address, as the node saw it
            assertThat(r.config().get("distinct_client_ips_seen_by_nodes")).isEqualTo(20);
            assertThat(r.config().get("users_disconnected")).isEqualTo(0);
            assertThat(r.config().get("moves")).isEqualTo(java.util.Map.of());
            assertThat(progress.toString(StandardCharsets.UTF_8)).contains("t=").contains("acked=");
            JsonNode json = new ObjectMapper().readTree(r.toJson());
            assertThat(json.path("lost").asLong()).isZero();
            assertThat(json.path("correct").asBoolean()).isTrue();
            assertThat(r.toTable()).contains("LOST").contains("p99");
        }
    }

    @Test
    void aNodeRestartIsCountedAsDisconnectsReconnectTimesAndMoves() throws Exception {
        ChatNode first = node();
        int port = first.address().getPort();
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        LoadgenConfig cfg = new LoadgenConfig(URI.create("http://127.0.0.1:" + port), 10, 100, 64,
                LoadgenConfig.Shape.DIRECT, 2, Duration.ofSeconds(4), Duration.ofSeconds(30), Duration.ofSeconds(30),
                5, 1, "tr", Duration.ofSeconds(1), null, Duration.ZERO);
        java.util.concurrent.CompletableFuture<LoadgenResult> run = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new LoadGenerator(cfg, new PrintStream(progress, true, StandardCharsets.UTF_8)).run();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> progress.toString(StandardCharsets.UTF_8).contains("sending"));
        first.shutdown(Duration.ZERO); // 1012 to all 10 users
        try (ChatNode second = ChatNode.start(NodeConfig.defaults("127.0.0.1", port, "n1", "sqlite:" + dir.resolve("n.db"),
                "loadgen-test-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8)).with(b -> {
                    b.ioThreads = 1;
                    b.devLogin = true;
                }).build())) {
            LoadgenResult r = run.get(90, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(r.config().get("users_disconnected")).isEqualTo(10);
            assertThat(r.reconnects()).isGreaterThanOrEqualTo(10);
            @SuppressWarnings("unchecked")
            java.util.Map<String, Double> reconnect = (java.util.Map<String, Double>) r.config().get("reconnect_ms");
            assertThat(reconnect.get("count")).isEqualTo((double) r.reconnects());
            assertThat(reconnect.get("p50")).isGreaterThan(0.0);
            assertThat(r.config().get("moves")).isEqualTo(java.util.Map.of("n1->n1", r.reconnects()));
            assertThat(r.lost()).isZero();
            assertThat(r.duplicated()).isZero();
        }
    }

    /**
     * The HTTP transports through a node restart: requests in flight fail, clients reconnect and
     * resend unacked messages with their ids; nothing is lost, duplicated or reordered. The wire
     * counters say what each mode claims: without keep-alive one TCP connection per request; the
     * naive poll mostly comes back empty.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0} keepalive={1}")
    @org.junit.jupiter.params.provider.CsvSource({"LONGPOLL,false", "POLL,true"})
    void httpTransportsSurviveANodeRestartWithoutLossOrDuplicates(LoadgenConfig.Transport mode, boolean keepAlive) throws Exception {
        ChatNode first = node();
        int port = first.address().getPort();
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        LoadgenConfig cfg = new LoadgenConfig(URI.create("http://127.0.0.1:" + port), 10, 100, 64,
                LoadgenConfig.Shape.DIRECT, 2, Duration.ofSeconds(4), Duration.ofSeconds(30), Duration.ofSeconds(30),
                6, 1, "th" + mode.ordinal(), Duration.ofSeconds(1), null, Duration.ZERO,
                new LoadgenConfig.TransportSpec(mode, Duration.ofMillis(200), Duration.ofSeconds(2), keepAlive));
        java.util.concurrent.CompletableFuture<LoadgenResult> run = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new LoadGenerator(cfg, new PrintStream(progress, true, StandardCharsets.UTF_8)).run();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> progress.toString(StandardCharsets.UTF_8).contains("t=  1"));
        first.shutdown(Duration.ZERO);
        try (ChatNode second = ChatNode.start(NodeConfig.defaults("127.0.0.1", port, "n1", "sqlite:" + dir.resolve("n.db"),
                "loadgen-test-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8)).with(b -> {
                    b.ioThreads = 1;
                    b.devLogin = true;
                }).build())) {
            LoadgenResult r = run.get(90, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(r.sent()).isGreaterThan(200);
            assertThat(r.correct()).as(r.toTable()).isTrue();
            assertThat(r.delivered()).isEqualTo(r.expectedDeliveries());
            assertThat(r.reconnects()).isGreaterThanOrEqualTo(1);
            assertThat(r.config().get("transport")).isEqualTo(cfg.transport().label());
            @SuppressWarnings("unchecked")
            java.util.Map<String, Object> wire = (java.util.Map<String, Object>) r.config().get("wire");
            long requests = (long) wire.get("http_requests");
            long connections = (long) wire.get("tcp_connections");
            assertThat(requests).isGreaterThanOrEqualTo(r.sent());
            if (keepAlive) {
                assertThat(connections).isLessThan(requests / 10);
            } else {
                // One connection per request. A connect that completes after the restart closed the
                // transport carries no request: at most one per lane (poll, send) per reconnect.
                assertThat(connections).isBetween(requests, requests + 2L * r.reconnects());
            }
            if (mode == LoadgenConfig.Transport.POLL) {
                assertThat((double) wire.get("empty_poll_share")).isGreaterThan(0.0);
            }
            assertThat(r.toTable()).contains("per message sent").contains("TCP handshakes");
        }
    }

    @Test
    void groupsFanOutToEveryOtherMember() throws Exception {
        try (ChatNode n = node()) {
            LoadgenConfig c = new LoadgenConfig(URI.create("http://127.0.0.1:" + n.address().getPort()), 12, 200, 64,
                    LoadgenConfig.Shape.GROUP, 4, Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofSeconds(30), 3, 1,
                    "tg", Duration.ofSeconds(1), null, Duration.ofSeconds(1));
            LoadgenResult r = new LoadGenerator(c, new PrintStream(new ByteArrayOutputStream(), true,
                    StandardCharsets.UTF_8)).run();
            assertThat(r.expectedDeliveries()).isEqualTo(r.acked() * 3);
            assertThat(r.delivered()).isEqualTo(r.expectedDeliveries());
            assertThat(r.correct()).isTrue();
            // latency only for sends after the 1 s warm-up; correctness for all of them
            assertThat(r.ackLatencyMs().get("count")).isPositive().isLessThan(r.acked() * 0.75);
        }
    }

    @Test
    void aDeadTargetIsReportedAsUnackedNotAsSuccess() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        LoadgenConfig c = new LoadgenConfig(URI.create("http://127.0.0.1:" + port), 4, 50, 64, LoadgenConfig.Shape.DIRECT, 2,
                Duration.ofMillis(500), Duration.ofMillis(500), Duration.ofMillis(500), 3, 1, "dead",
                Duration.ofSeconds(1), null, Duration.ZERO);
        LoadgenResult r = new LoadGenerator(c, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        assertThat(r.connectFailures()).isEqualTo(4);
        assertThat(r.unacked()).isEqualTo(r.sent()).isPositive();
        assertThat(r.correct()).isFalse();
    }

    @Test
    void colocationPutsEveryConversationOnOneNodeByTheLbsLookup() throws Exception {
        com.sun.net.httpserver.HttpServer admin = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        // a fake LB admin: the owner is the last octet mod 3
        admin.createContext("/lookup", ex -> {
            String ip = ex.getRequestURI().getQuery().replace("ip=", "");
            int last = Integer.parseInt(ip.substring(ip.lastIndexOf('.') + 1));
            byte[] b = ("{\"ip\":\"" + ip + "\",\"member\":\"n" + last % 3 + "\"}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        admin.start();
        try {
            URI adminUrl = URI.create("http://127.0.0.1:" + admin.getAddress().getPort());
            LoadgenConfig c = new LoadgenConfig(URI.create("http://127.0.0.1:1"), 30, 10, 64, LoadgenConfig.Shape.GROUP, 5,
                    Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), 5, 1, "co", Duration.ofSeconds(1),
                    adminUrl, Duration.ZERO);
            String[] ips = new LoadGenerator(c, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                    .colocatedIps(5);
            assertThat(ips).hasSize(30).doesNotHaveDuplicates();
            for (int g = 0; g < 30; g += 5) {
                java.util.Set<Integer> owners = new java.util.HashSet<>();
                for (int j = g; j < g + 5; j++) {
                    assertThat(ips[j]).startsWith("127.5.");
                    owners.add(Integer.parseInt(ips[j].substring(ips[j].lastIndexOf('.') + 1)) % 3);
                }
                assertThat(owners).as("group " + g / 5).hasSize(1);
            }
        } finally {
            admin.stop(0);
        }
    }
}
