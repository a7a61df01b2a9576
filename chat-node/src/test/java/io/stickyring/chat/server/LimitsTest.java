package io.stickyring.chat.server;

import static io.stickyring.chat.server.WsClient.sendFrame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.model.Conversations;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Connection-level limits and lifecycle: slow consumers, keep-alive, max connections, hello timeout, PROXY protocol, drain. */
@Timeout(90)
class LimitsTest {
    @TempDir
    Path dir;
    static final String DM = Conversations.dmId("alice", "bob");

    private static String metrics(ChatNode node) {
        return new String(node.metrics().scrape(), StandardCharsets.UTF_8);
    }

    @Test
    void slowConsumerIsClosedWith1013AndOthersAreUnaffected() throws Exception {
        try (ChatNode node = TestNodes.start(dir, "n1", b -> {
            b.writeLowWatermark = 2048;
            b.writeHighWatermark = 8192;
            b.slowConsumerTimeout = Duration.ofMillis(300);
            b.ratePerSecond = 100_000;
            b.rateBurst = 100_000;
        })) {
            RawWs bob = new RawWs(node.address().getPort(), null);
            bob.socket.setReceiveBufferSize(4096);
            bob.hello(node.tokens().issue("bob"), 0);
            bob.readJson();
            bob.readJson();
            // bob stops reading now.
            try (WsClient alice = WsClient.login(node, "alice", 0)) {
                alice.next("synced");
                String body = "x".repeat(16 * 1024);
                int acked = 0;
                // (the counter is exported at 0 from start: wait for 1)
                for (int i = 0; i < 600 && !metrics(node).contains("reason=\"slow_consumer\"} 1.0"); i++) {
                    alice.send(sendFrame("s" + i, DM, body));
                    while (true) {
                        JsonNode n = alice.next();
                        if (n.get("t").asText().equals("ack")) {
                            acked++;
                            break;
                        }
                    }
                }
                await().atMost(Duration.ofSeconds(20)).until(() -> metrics(node).contains("stickyring_chat_closes_total{reason=\"slow_consumer\"} 1.0"));
                assertThat(acked).isPositive();
                // Alice, who reads, keeps her session.
                alice.send(sendFrame("after", DM, "ok"));
                List<JsonNode> frames = alice.until("ack");
                assertThat(frames.get(frames.size() - 1).get("id").asText()).isEqualTo("after");
                assertThat(alice.isOpen()).isTrue();
            } finally {
                bob.close();
            }
        }
    }

    @Test
    void aClientThatPausesReadingGetsEverythingOnceInOrderWhenItResumes() throws Exception {
        try (ChatNode node = TestNodes.start(dir, "n1", b -> {
            b.writeLowWatermark = 2048;
            b.writeHighWatermark = 8192;
            b.slowConsumerTimeout = Duration.ofSeconds(60);
            b.ratePerSecond = 100_000;
            b.rateBurst = 100_000;
        })) {
            try (RawWs bob = new RawWs(node.address().getPort(), null);
                 WsClient alice = WsClient.login(node, "alice", 0)) {
                bob.hello(node.tokens().issue("bob"), 0);
                assertThat(bob.readJson().get("t").asText()).isEqualTo("welcome");
                assertThat(bob.readJson().get("t").asText()).isEqualTo("synced");
                alice.next("synced");
                // bob does not read while 300 x 8 KiB messages are sent: his channel goes unwritable,
                // live pushes stop, and the rest must come from the store once he drains.
                int n = 300;
                String body = "y".repeat(8 * 1024);
                for (int i = 1; i <= n; i++) {
                    alice.send(sendFrame("p" + i, DM, body));
                }
                for (int acks = 0; acks < n; ) {
                    acks += alice.next().get("t").asText().equals("ack") ? 1 : 0;
                }
                long expect = 1;
                while (expect <= n) {
                    JsonNode f = bob.readJson();
                    if (f.get("t").asText().equals("msg")) {
                        assertThat(f.get("cursor").asLong()).as("in order, no duplicate").isEqualTo(expect);
                        assertThat(f.get("id").asText()).isEqualTo("p" + expect);
                        expect++;
                    }
                }
                // exported from start (at 0): still 0, nobody was cut
                assertThat(metrics(node)).contains("stickyring_chat_closes_total{reason=\"slow_consumer\"} 0.0");
                double batches = metrics(node).lines().filter(l -> l.startsWith("stickyring_chat_sync_batches_total"))
                        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
                assertThat(batches).as("lagging part replayed from the store").isGreaterThan(1);
            }
        }
    }

    @Test
    void silentPeerIsPingedThenClosed() throws Exception {
        try (ChatNode node = TestNodes.start(dir, "n1", b -> {
            b.pingInterval = Duration.ofMillis(200);
            b.pongTimeout = Duration.ofMillis(300);
        })) {
            try (RawWs raw = new RawWs(node.address().getPort(), null)) {
                raw.hello(node.tokens().issue("bob"), 0);
                boolean sawPing = false;
                long t0 = System.nanoTime();
                while (true) {
                    RawWs.Frame f = raw.read();
                    if (f == null) {
                        break;
                    }
                    sawPing |= f.opcode() == 9;
                }
                assertThat(sawPing).isTrue();
                assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(5).toNanos());
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> metrics(node).contains("reason=\"pong_timeout\"} 1.0"));
            // A client that answers pings (the JDK client does) stays connected past the timeout.
            try (WsClient ok = WsClient.login(node, "alice", 0)) {
                // Four pings 200 ms apart span more than the 300 ms pong timeout: each was answered.
                await().atMost(Duration.ofSeconds(10)).until(() -> ok.pings.get() >= 4 || !ok.isOpen());
                assertThat(ok.isOpen()).isTrue();
                assertThat(ok.fence()).as("the session still answers").allMatch(n -> n.get("t").asText().equals("synced"));
            }
        }
    }

    @Test
    void helloTimeoutClosesWith1008() throws Exception {
        try (ChatNode node = TestNodes.start(dir, "n1", b -> b.helloTimeout = Duration.ofMillis(300))) {
            WsClient c = WsClient.connect(node);
            WsClient.Close close = c.awaitClose();
            assertThat(close.code()).isEqualTo(1008);
            assertThat(close.reason()).contains("hello");
        }
    }

    @Test
    void connectionsOverTheLimitAreClosedAtAccept() throws Exception {
        try (ChatNode node = TestNodes.start(dir, "n1", b -> b.maxConnections = 2)) {
            int port = node.address().getPort();
            try (Socket a = new Socket("127.0.0.1", port); Socket b = new Socket("127.0.0.1", port)) {
                await().atMost(Duration.ofSeconds(5)).until(() -> metrics(node).contains("stickyring_chat_connections 2.0"));
                try (Socket c = new Socket("127.0.0.1", port)) {
                    c.setSoTimeout(5000);
                    InputStream in = c.getInputStream();
                    assertThat(in.read()).isEqualTo(-1);
                }
                assertThat(metrics(node)).contains("stickyring_chat_connections_rejected_total 1.0");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> metrics(node).contains("stickyring_chat_connections 0.0"));
            try (WsClient c = WsClient.login(node, "alice", 0)) {
                c.next("synced");
            }
        }
    }

    @Test
    void proxyProtocolV1AndV2CarryTheClientAddressIntoWelcome() throws Exception {
        try (ChatNode node = TestNodes.start(dir, "n1", b -> b.acceptProxyProtocol = true)) {
            int port = node.address().getPort();
            byte[] v1 = "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n".getBytes(StandardCharsets.US_ASCII);
            try (RawWs raw = new RawWs(port, v1)) {
                raw.hello(node.tokens().issue("alice"), 0);
                assertThat(raw.readJson().get("ip").asText()).isEqualTo("203.0.113.7");
            }
            ByteBuffer v2 = ByteBuffer.allocate(16 + 12);
            v2.put(HexFormat.of().parseHex("0D0A0D0A000D0A515549540A")).put((byte) 0x21).put((byte) 0x11).putShort((short) 12);
            v2.put(new byte[] {(byte) 198, 51, 100, 9}).put(new byte[] {127, 0, 0, 1}).putShort((short) 4242).putShort((short) 80);
            try (RawWs raw = new RawWs(port, v2.array())) {
                raw.hello(node.tokens().issue("alice"), 0);
                assertThat(raw.readJson().get("ip").asText()).isEqualTo("198.51.100.9");
            }
            // Without a header the TCP peer is reported.
            try (RawWs raw = new RawWs(port, null)) {
                raw.hello(node.tokens().issue("alice"), 0);
                assertThat(raw.readJson().get("ip").asText()).isEqualTo("127.0.0.1");
            }
        }
    }

    @Test
    void sessionsPerClientAddressAreLimitedByTheProxiedAddress() throws Exception {
        try (ChatNode node = TestNodes.start(dir, "n1", b -> {
            b.acceptProxyProtocol = true;
            b.maxSessionsPerIp = 2;
        })) {
            int port = node.address().getPort();
            byte[] fromA = "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n".getBytes(StandardCharsets.US_ASCII);
            byte[] fromB = "PROXY TCP4 203.0.113.8 127.0.0.1 5555 80\r\n".getBytes(StandardCharsets.US_ASCII);
            try (RawWs a1 = new RawWs(port, fromA); RawWs a2 = new RawWs(port, fromA)) {
                for (RawWs a : List.of(a1, a2)) {
                    a.hello(node.tokens().issue("alice"), 0);
                    assertThat(a.readJson().get("t").asText()).isEqualTo("welcome");
                }
                try (RawWs a3 = new RawWs(port, fromA)) {
                    RawWs.Frame close = a3.read();
                    assertThat(close.opcode()).isEqualTo(8);
                    assertThat(close.closeCode()).isEqualTo(1008);
                    assertThat(close.text()).contains("203.0.113.7");
                }
                try (RawWs b1 = new RawWs(port, fromB)) {
                    b1.hello(node.tokens().issue("bob"), 0);
                    assertThat(b1.readJson().get("ip").asText()).isEqualTo("203.0.113.8");
                }
            }
            // Both of A's sessions ended: A may connect again.
            await().atMost(Duration.ofSeconds(5)).until(() -> node.sessionCount() == 0);
            try (RawWs again = new RawWs(port, fromA)) {
                again.hello(node.tokens().issue("alice"), 0);
                assertThat(again.readJson().get("t").asText()).isEqualTo("welcome");
            }
        }
    }

    @Test
    void proxyHeaderIsNotInterpretedWhenNotEnabled() throws Exception {
        try (ChatNode node = TestNodes.start(dir)) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", node.address().getPort()));
                s.setSoTimeout(5000);
                s.getOutputStream().write("PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\nGET /app.js HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String head = RawWs.readHead(s.getInputStream());
                // Parsed as an HTTP request with method PROXY: refused, never trusted as an address.
                assertThat(head).matches("(?s)HTTP/1.1 4\\d\\d .*");
            }
        }
    }

    @Test
    void shutdownDrainsThenClosesWith1012AndARetryHint() throws Exception {
        ChatNode node = TestNodes.start(dir, "n1", b -> {
            b.retryHintMin = Duration.ofMillis(100);
            b.retryHintMax = Duration.ofMillis(900);
        });
        WsClient c = WsClient.login(node, "alice", 0);
        c.next("synced");
        c.send(sendFrame("before-drain", DM, "kept"));
        c.next("ack");
        Thread t = new Thread(() -> node.shutdown(Duration.ofMillis(500)));
        t.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> node.state() == io.stickyring.membership.MemberState.DRAINING);
        WsClient.Close close = c.awaitClose();
        assertThat(close.code()).isEqualTo(1012);
        assertThat(close.reason()).matches(".*retry-after-ms=(\\d+)");
        long hint = Long.parseLong(close.reason().replaceAll(".*retry-after-ms=", ""));
        assertThat(hint).isBetween(100L, 900L);
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        try (ChatNode again = TestNodes.start(dir)) {
            assertThat(again.store().history(DM, Long.MAX_VALUE, 10)).extracting(m -> m.id()).containsExactly("before-drain");
        }
    }
}
