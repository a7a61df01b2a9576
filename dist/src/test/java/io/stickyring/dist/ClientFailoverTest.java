package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stickyring.chat.client.ChatClient;
import io.stickyring.chat.client.Recorder;
import io.stickyring.chat.client.ChatMessage;
import io.stickyring.chat.client.ClientOptions;
import io.stickyring.chat.client.ConnectionState;
import io.stickyring.chat.client.FileOutbox;
import io.stickyring.chat.client.MemoryOutbox;
import io.stickyring.lb.LoadBalancer;
import io.stickyring.cli.HostPort;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.config.ProxyProtocolMode;
import io.stickyring.lb.route.HashFactories;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.source.Membership;
import io.stickyring.membership.Member;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client through the real LB (PROXY v2) to two chat-node processes; the node the sender
 * is on is killed with SIGKILL while messages are in flight. The client reconnects through the LB,
 * lands on the other node, re-sends its outbox, and the recipient sees every message exactly once.
 * The two nodes share one SQLite file with {@code --bus sqlite} (the embedded multi-node setup), so
 * bob on n2 gets alice's messages from n1 live, and n2 holds everything n1 acked.
 */
@Timeout(180)
class ClientFailoverTest {
    private static final String SECRET = "failover-test-secret-0123456789abcdef";
    private static final Pattern READY = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A chat node in a child JVM, killable with SIGKILL. */
    record NodeProc(Process process, int port) implements AutoCloseable {
        static NodeProc start(Path db, String id) throws Exception {
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                    "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), "io.stickyring.chat.NodeMain",
                    "--listen", "127.0.0.1:0", "--id", id, "--store", "sqlite:" + db, "--bus", "sqlite", "--dev-login",
                    "--accept-proxy-protocol", "--drain-period", "0s", "--io-threads", "1",
                    "--rate", "10000", "--rate-burst", "10000");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("STICKYRING_SECRET", SECRET);
            Process p = pb.start();
            CompletableFuture<Integer> port = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                List<String> out = new ArrayList<>();
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        out.add(line);
                        Matcher m = READY.matcher(line);
                        if (m.find()) {
                            port.complete(Integer.parseInt(m.group(1)));
                        }
                    }
                } catch (Exception e) {
                    // gone
                }
                port.completeExceptionally(new IllegalStateException("node " + id + " exited: " + out));
            });
            t.setDaemon(true);
            t.start();
            try {
                return new NodeProc(p, port.get(60, TimeUnit.SECONDS));
            } catch (Exception e) {
                p.destroyForcibly();
                throw e;
            }
        }

        void kill9() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            kill9();
        }
    }

    private static String owner(HttpClient http, LoadBalancer lb, String ip) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.adminAddress().getPort()
                + "/lookup?ip=" + ip)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode n = JSON.readTree(r.body()).path("member");
        return n.isObject() ? n.path("id").asText() : n.asText();
    }

    private static String ipOwnedBy(HttpClient http, LoadBalancer lb, String node, int third) throws Exception {
        for (int i = 1; i < 250; i++) {
            String ip = "127.9." + third + "." + i;
            if (owner(http, lb, ip).equals(node)) {
                return ip;
            }
        }
        throw new AssertionError("no 127.9." + third + ".x maps to " + node);
    }

    @Test
    void senderNodeKilledClientReconnectsThroughTheLbToTheOtherNodeAndEveryMessageArrivesOnce() throws Exception {
        Path db = dir.resolve("chat.db");
        try (NodeProc n1 = NodeProc.start(db, "n1"); NodeProc n2 = NodeProc.start(db, "n2")) {
            LbConfig.Builder b = LbConfig.builder().listen(new HostPort("127.0.0.1", 0)).admin(new HostPort("127.0.0.1", 0))
                    .backends(List.of(Member.of("n1", "127.0.0.1", n1.port()), Member.of("n2", "127.0.0.1", n2.port())));
            b.proxyProtocol = ProxyProtocolMode.V2;
            b.ioThreads = 1;
            b.acceptThreads = 1;
            b.shutdownGrace = Duration.ZERO;
            b.connectTimeout = Duration.ofMillis(500);
            LbConfig cfg = b.build();
            HttpClient http = HttpClient.newHttpClient();
            try (LoadBalancer lb = LoadBalancer.start(cfg, Membership.of(cfg), HashFactories.defaults(),
                    KeyFunctions.of(cfg.keyMode(), cfg.prefixV4(), cfg.prefixV6()))) {
                URI url = URI.create("http://127.0.0.1:" + lb.proxyAddress().getPort());
                String ipA = ipOwnedBy(http, lb, "n1", 1);
                String ipB = ipOwnedBy(http, lb, "n2", 2);
                Recorder aliceIn = new Recorder();
                Recorder bobIn = new Recorder();
                ClientOptions.Builder fast = ClientOptions.builder(url, "alice").devLogin(true).transport(ClientOptions.TransportMode.WEBSOCKET)
                        .backoff(Duration.ofMillis(50), Duration.ofMillis(500)).localAddress(InetAddress.getByName(ipA));
                try (ChatClient alice = ChatClient.start(fast.build(), FileOutbox.open(dir.resolve("alice")), aliceIn);
                     ChatClient bob = ChatClient.start(ClientOptions.builder(url, "bob").devLogin(true)
                             .transport(ClientOptions.TransportMode.WEBSOCKET).backoff(Duration.ofMillis(50), Duration.ofMillis(500))
                             .localAddress(InetAddress.getByName(ipB)).build(), new MemoryOutbox(), bobIn)) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> alice.state() == ConnectionState.CONNECTED
                            && bob.state() == ConnectionState.CONNECTED);
                    // Stickiness made visible: each client is on the node its IP hashes to, and the
                    // node saw the real client IP through the PROXY v2 header.
                    assertThat(alice.info().node()).isEqualTo("n1");
                    assertThat(alice.info().clientIp()).isEqualTo(ipA);
                    assertThat(bob.info().node()).isEqualTo("n2");
                    assertThat(bob.info().clientIp()).isEqualTo(ipB);

                    for (int i = 0; i < 100; i++) {
                        alice.send("dm:alice:bob", "before-" + i);
                    }
                    await().atMost(Duration.ofSeconds(30)).until(() -> aliceIn.acks.size() >= 10);
                    n1.kill9(); // SIGKILL while the rest of the 100 are in flight or queued
                    for (int i = 0; i < 50; i++) {
                        alice.send("dm:alice:bob", "after-" + i);
                    }
                    await().atMost(Duration.ofSeconds(60)).until(() -> alice.pendingCount() == 0);
                    assertThat(alice.info().node()).isEqualTo("n2");
                    assertThat(alice.connects()).isGreaterThanOrEqualTo(2);
                    assertThat(alice.resends()).isPositive();

                    List<String> expected = new ArrayList<>();
                    IntStream.range(0, 100).forEach(i -> expected.add("before-" + i));
                    IntStream.range(0, 50).forEach(i -> expected.add("after-" + i));
                    await().atMost(Duration.ofSeconds(30)).until(() -> bobIn.messages.size() >= 150);
                    Map<String, Long> seen = bobIn.messages.stream()
                            .collect(Collectors.groupingBy(ChatMessage::body, Collectors.counting()));
                    assertThat(seen.keySet()).containsExactlyInAnyOrderElementsOf(expected);
                    assertThat(seen.values()).containsOnly(1L);
                    // and in the order alice queued them
                    assertThat(bobIn.messages.stream().map(ChatMessage::body).toList()).containsExactlyElementsOf(expected);

                    // The store's truth, read back fresh through the LB from cursor 0: 150 messages, 150 ids.
                    Recorder replay = new Recorder();
                    try (ChatClient check = ChatClient.start(ClientOptions.builder(url, "bob").devLogin(true)
                            .localAddress(InetAddress.getByName(ipB)).build(), new MemoryOutbox(), replay)) {
                        await().atMost(Duration.ofSeconds(30)).until(() -> replay.messages.size() >= 150
                                && check.state() == ConnectionState.CONNECTED);
                        assertThat(replay.messages).hasSize(150);
                        assertThat(replay.messages.stream().map(ChatMessage::id).distinct().count()).isEqualTo(150);
                        assertThat(replay.messages.stream().map(ChatMessage::seq).toList())
                                .containsExactlyElementsOf(IntStream.rangeClosed(1, 150).mapToObj(i -> (long) i).toList());
                    }
                }
            }
        }
    }
}
