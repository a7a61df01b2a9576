package io.stickyring.chat.server;

import static io.stickyring.chat.server.WsClient.sendFrame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.model.Conversations;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adversarial clients of issue 12 (findings 2, 3, 6): each test is an attack that cost the node
 * unbounded memory or its connection slots before, and checks the node stays bounded and keeps
 * serving others. Memory is read in-process (the node's Netty allocator metric and the JVM's
 * direct buffer pool); "serving others" is a WebSocket ping on the same event loop answered
 * within a second.
 */
@Timeout(120)
class AbuseTest {
    @TempDir
    Path dir;
    static final String DM = Conversations.dmId("alice", "bob");
    static final long MiB = 1 << 20;

    static double metric(ChatNode node, String line) {
        return new String(node.metrics().scrape(), StandardCharsets.UTF_8).lines()
                .filter(l -> l.startsWith(line + " ")).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** Direct memory in use: the larger of Netty's allocator (node metric) and the JVM's direct buffer pool. */
    static long directBytes(ChatNode node) {
        long pool = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
        return Math.max(pool, (long) metric(node, "stickyring_chat_netty_direct_memory_bytes"));
    }

    static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Round trip of a JSON ping on {@code c}, in milliseconds. */
    static long pingMillis(WsClient c) {
        long t0 = System.nanoTime();
        c.send(Frames.frame("ping"));
        c.until("pong");
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    /** Writes {@code data} from its own thread (the node may stop reading); ends quietly when the socket closes. */
    static Thread writer(Socket s, byte[] data) {
        Thread t = new Thread(() -> {
            try {
                OutputStream out = s.getOutputStream();
                for (int off = 0; off < data.length; off += 8192) {
                    out.write(data, off, Math.min(8192, data.length - off));
                }
                out.flush();
            } catch (IOException e) {
                // closed by the node: expected
            }
        }, "abuse-writer");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * While {@code done} is false: alice pings (each answer within a second) and the peak of direct
     * memory is taken. Ends when {@code done} holds; fails after 60 s.
     */
    static long watch(String attack, ChatNode node, WsClient alice, long before, java.util.function.BooleanSupplier done) {
        long[] peak = {0};
        long[] slowest = {0};
        int[] pings = {0};
        // Polled every 100 ms (well under the per-user rate): ping round trip and memory sample.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            peak[0] = Math.max(peak[0], directBytes(node));
            long ms = pingMillis(alice);
            slowest[0] = Math.max(slowest[0], ms);
            pings[0]++;
            assertThat(ms).as("another session still answers ping").isLessThan(1000);
            return done.getAsBoolean();
        });
        peak[0] = Math.max(peak[0], directBytes(node));
        System.out.printf("abuse (%s): %d pings, slowest %d ms; direct memory peak %d KiB (%+d KiB from before the attack)%n",
                attack, pings[0], slowest[0], peak[0] >> 10, (peak[0] - before) >> 10);
        return peak[0];
    }

    @Test
    void pipelinedGetsFromAClientThatReadsNothingStayBoundedAndTheConnectionIsClosed() throws Exception {
        try (ChatNode node = TestNodes.start(dir, "n1", b -> {
            b.ioThreads = 1; // the attacker and alice share one event loop
            b.slowConsumerTimeout = Duration.ofSeconds(2);
            b.requestTimeout = Duration.ofSeconds(60);
        }); WsClient alice = WsClient.login(node, "alice", 0)) {
            alice.next("synced");
            long before = directBytes(node);
            byte[] one = "GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            byte[] all = new byte[one.length * 20_000];
            for (int i = 0; i < 20_000; i++) {
                System.arraycopy(one, 0, all, i * one.length, one.length);
            }
            try (Socket attacker = new Socket()) {
                attacker.setReceiveBufferSize(4096);
                attacker.connect(new InetSocketAddress("127.0.0.1", node.address().getPort()), 5000);
                writer(attacker, all);
                // Closed either when Netty's 128-deep pipeline queue overflows (the gate holds requests
                // unread) or when stuck past the slow-consumer timeout, whichever comes first.
                long peak = watch("20,000 pipelined GETs", node, alice, before, () -> metric(node, "stickyring_chat_closes_total{reason=\"http_slow_consumer\"}")
                        + metric(node, "stickyring_chat_closes_total{reason=\"http_pipeline_overflow\"}") >= 1);
                assertThat(peak - before).as("direct memory growth (bytes) under 20,000 unread pipelined GETs").isLessThan(16 * MiB);
            }
        }
    }

    @Test
    void pipelinedHistoryGetsNeverReadAreClosedAtTheSlowConsumerTimeout() throws Exception {
        try (ChatNode node = TestNodes.start(dir, "n1", b -> {
            b.ioThreads = 1;
            b.blockingThreads = 4;
            b.slowConsumerTimeout = Duration.ofSeconds(1);
            b.requestTimeout = Duration.ofSeconds(60);
            b.ratePerSecond = 100_000;
            b.rateBurst = 100_000;
        }); WsClient alice = WsClient.login(node, "alice", 0)) {
            alice.next("synced");
            fill(alice, 500);
            long before = directBytes(node);
            // 100 answers of 256 KiB (cut from 8 MB pages): more than the kernel buffers hold, and
            // under Netty's 128-deep pipeline limit, so only the stuck check can end it.
            byte[] one = ("GET /api/history?conv=" + DM + "&limit=500 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + node.tokens().issue("bob") + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] all = new byte[one.length * 100];
            for (int i = 0; i < 100; i++) {
                System.arraycopy(one, 0, all, i * one.length, one.length);
            }
            try (Socket attacker = new Socket()) {
                attacker.setReceiveBufferSize(4096);
                attacker.connect(new InetSocketAddress("127.0.0.1", node.address().getPort()), 5000);
                writer(attacker, all);
                long peak = watch("100 pipelined history GETs", node, alice, before,
                        () -> metric(node, "stickyring_chat_closes_total{reason=\"http_slow_consumer\"}") >= 1);
                assertThat(peak - before).as("direct memory growth (bytes)").isLessThan(16 * MiB);
                assertThat(metric(node, "stickyring_chat_closes_total{reason=\"http_pipeline_overflow\"}")).isZero();
            }
        }
    }

    /** Alice sends {@code n} messages of 16 KiB to bob and takes every ack and echo, so her pings queue behind nothing. */
    static void fill(WsClient alice, int n) {
        String body = "h".repeat(16 * 1024);
        for (int i = 0; i < n; i++) {
            alice.send(sendFrame("m" + i, DM, body));
        }
        int acks = 0;
        long echoed = 0;
        while (acks < n || echoed < n) {
            JsonNode f = alice.next();
            acks += f.get("t").asText().equals("ack") ? 1 : 0;
            echoed = f.get("t").asText().equals("msg") ? f.get("cursor").asLong() : echoed;
        }
    }

    @Test
    void unreadHistoryRepliesStayBoundedAndTheSessionIsClosed1013() throws Exception {
        try (ChatNode node = TestNodes.start(dir, "n1", b -> {
            b.ioThreads = 1;
            b.blockingThreads = 4;
            b.slowConsumerTimeout = Duration.ofSeconds(2);
            b.ratePerSecond = 100_000;
            b.rateBurst = 100_000;
        }); WsClient alice = WsClient.login(node, "alice", 0)) {
            alice.next("synced");
            fill(alice, 500);
            long heapBefore = heapAfterGc();
            long before = directBytes(node);
            try (RawWs bob = new RawWs(node.address().getPort(), null)) {
                bob.socket.setReceiveBufferSize(4096);
                // Bob authenticates with his cursor at the head (nothing to replay), then only asks.
                bob.hello(node.tokens().issue("bob"), 500);
                assertThat(bob.readJson().get("t").asText()).isEqualTo("welcome");
                assertThat(bob.readJson().get("t").asText()).isEqualTo("synced");
                // 120 requests: paged to 256 KiB each they would still be 30 MiB if all were answered;
                // the read gate answers about 4 and leaves the rest unread in the socket.
                for (int i = 0; i < 120; i++) {
                    bob.sendText(Frames.encode(Frames.frame("history").put("conv", DM).put("limit", 500).put("ref", "h" + i)));
                }
                long peak = watch("120 unread history requests", node, alice, before, () -> metric(node, "stickyring_chat_closes_total{reason=\"slow_consumer\"}") >= 1);
                assertThat(peak - before).as("direct memory growth (bytes) under 120 unread 8 MB history requests").isLessThan(16 * MiB);
                assertThat(heapAfterGc() - heapBefore).as("heap growth after GC (bytes)").isLessThan(64 * MiB);
            }
        }
    }

    @Test
    void historyAndPollAnswersArePagedInBytes() throws Exception {
        try (ChatNode node = TestNodes.start(dir, "n1", b -> {
            b.ratePerSecond = 100_000;
            b.rateBurst = 100_000;
            b.maxReplyBytes = 64 * 1024;
        }); WsClient alice = WsClient.login(node, "alice", 0)) {
            alice.next("synced");
            String body = "p".repeat(10_000);
            for (int i = 1; i <= 20; i++) {
                alice.send(sendFrame("m" + i, DM, body));
                alice.until("ack");
            }
            // WebSocket history: newest first fit, 'more' says older ones exist; paging with before reaches the start.
            List<Long> seen = new ArrayList<>();
            long beforeSeq = 0;
            boolean more = true;
            while (more) {
                alice.send(Frames.frame("history").put("conv", DM).put("limit", 500).put("before", beforeSeq));
                List<JsonNode> hs = alice.until("history");
                JsonNode h = hs.get(hs.size() - 1);
                assertThat(Frames.encode(h).length()).isLessThan(64 * 1024 + 1024);
                List<Long> page = new ArrayList<>();
                h.get("messages").forEach(m -> page.add(m.get("seq").asLong()));
                assertThat(page).isNotEmpty();
                seen.addAll(0, page);
                beforeSeq = page.get(0);
                more = h.get("more").asBoolean();
            }
            assertThat(seen).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 20).boxed().toList());
            // HTTP poll: a byte-bounded prefix of the inbox; following the cursor yields every message once.
            String base = "http://127.0.0.1:" + node.address().getPort();
            String token = node.tokens().issue("bob");
            long cursor = 0;
            int got = 0;
            while (got < 20) {
                HttpResponse<String> r = WsClient.HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/poll?cursor=" + cursor))
                        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body().length()).isLessThan(64 * 1024 + 1024);
                JsonNode p = Frames.JSON.readTree(r.body());
                for (JsonNode m : p.get("messages")) {
                    assertThat(m.get("cursor").asLong()).isEqualTo(cursor + 1);
                    cursor = m.get("cursor").asLong();
                    got++;
                }
                assertThat(p.get("more").asBoolean()).isEqualTo(got < 20);
            }
        }
    }

    @Test
    void aFloodOfDistinctMissingPathsCachesNothing() throws Exception {
        try (ChatNode node = TestNodes.start(dir)) {
            int files = node.staticFileCount();
            assertThat(files).as("web client loaded at start").isGreaterThanOrEqualTo(3);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", node.address().getPort()), 5000);
                s.setSoTimeout(10_000);
                var in = new java.io.DataInputStream(s.getInputStream());
                for (int i = 0; i < 2000; i++) {
                    s.getOutputStream().write(("GET /missing-" + i + ".js HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    String head = RawWs.readHead(in);
                    assertThat(head).startsWith("HTTP/1.1 404");
                    int len = Integer.parseInt(head.replaceAll("(?s).*content-length: (\\d+).*", "$1"));
                    in.readFully(new byte[len]);
                }
            }
            assertThat(node.staticFileCount()).as("files held after 2000 distinct 404s").isEqualTo(files);
        }
    }

    @Test
    void slowlorisConnectionsAreClosedAtTheDeadlineWhileANewClientIsServed() throws Exception {
        int n = 200;
        try (ChatNode node = TestNodes.start(dir, "n1", b -> {
            b.maxConnections = n;
            b.requestTimeout = Duration.ofSeconds(1);
        })) {
            List<Socket> slow = new ArrayList<>();
            java.util.concurrent.ScheduledExecutorService trickle = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            try {
                for (int i = 0; i < n; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", node.address().getPort()), 5000);
                    slow.add(s);
                }
                // One byte of a request head per connection every 100 ms: never idle, never complete.
                trickle.scheduleAtFixedRate(() -> {
                    for (Socket s : slow) {
                        try {
                            s.getOutputStream().write('G');
                        } catch (IOException e) {
                            // closed by the node
                        }
                    }
                }, 0, 100, TimeUnit.MILLISECONDS);
                // Every slow connection was accepted (open, or already closed at its deadline on a slow machine).
                await().atMost(Duration.ofSeconds(10)).until(() -> metric(node, "stickyring_chat_connections")
                        + metric(node, "stickyring_chat_closes_total{reason=\"request_timeout\"}") >= n);
                // The node is full of slow connections; a new client must be served within a few deadlines.
                String url = "http://127.0.0.1:" + node.address().getPort() + "/app.js";
                await().atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() ->
                        WsClient.HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                                HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
                await().atMost(Duration.ofSeconds(10)).until(() ->
                        metric(node, "stickyring_chat_closes_total{reason=\"request_timeout\"}") >= n);
            } finally {
                trickle.shutdownNow();
                for (Socket s : slow) {
                    s.close();
                }
            }
        }
    }
}
