package io.stickyring.chat.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.chat.server.ChatNode;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The HTTP transports (long poll and the naive poll, each with and without keep-alive) against a
 * real node: every message arrives once and in order, each client is seen from its own source
 * address, and the client's handshake counter equals the node's count of accepted connections.
 */
@Timeout(120)
class HttpTransportTest {
    @TempDir
    Path dir;
    final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T t) {
        closeables.add(t);
        return t;
    }

    static long accepted(ChatNode node) {
        String text = new String(node.metrics().scrape(), StandardCharsets.UTF_8);
        return text.lines().filter(l -> l.startsWith("stickyring_chat_tcp_accepted_total "))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElseThrow();
    }

    @ParameterizedTest(name = "{0} keepalive={1}")
    @CsvSource({"LONG_POLL,true", "LONG_POLL,false", "POLL,true", "POLL,false"})
    void everyMessageOnceInOrderAndHandshakesCountedAsTheNodeCountsThem(ClientOptions.TransportMode mode, boolean keepAlive)
            throws Exception {
        ChatNode node = keep(Nodes.start(dir.resolve("n.db"), "n1", 0));
        URI uri = URI.create("http://127.0.0.1:" + node.address().getPort());
        ClientRuntime runtime = keep(ClientRuntime.create(1));
        long acceptedBefore = accepted(node);
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        ChatClient alice = keep(ChatClient.start(runtime, options(node, uri, "alice", "127.0.7.21", mode, keepAlive), new MemoryOutbox(), a));
        ChatClient bob = keep(ChatClient.start(runtime, options(node, uri, "bob", "127.0.7.22", mode, keepAlive), new MemoryOutbox(), b));
        await().atMost(Duration.ofSeconds(20)).until(() -> alice.state() == ConnectionState.CONNECTED
                && bob.state() == ConnectionState.CONNECTED);
        assertThat(alice.info().transport()).startsWith(mode == ClientOptions.TransportMode.POLL ? "poll" : "long-poll");
        assertThat(alice.info().clientIp()).isEqualTo("127.0.7.21");
        assertThat(bob.info().clientIp()).isEqualTo("127.0.7.22");
        assertThat(alice.info().node()).isEqualTo("n1");

        List<String> sent = IntStream.range(0, 25).mapToObj(i -> "m" + i).toList();
        sent.forEach(body -> alice.send("dm:alice:bob", body));
        await().atMost(Duration.ofSeconds(30)).until(() -> a.acks.size() == sent.size() && bobGot(b).size() == sent.size());
        assertThat(bobGot(b)).containsExactlyElementsOf(sent);
        assertThat(a.acks).extracting(SendAck::seq).doesNotHaveDuplicates();
        assertThat(alice.pendingCount()).isZero();

        // Close both and wait until the node has seen every connection the clients opened.
        alice.close();
        bob.close();
        TransportStats s = runtime.stats();
        // A poll whose connect was in flight at close can be accepted by the node without the client ever
        // seeing it active: the node's count lies between connections established and connects started.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(accepted(node) - acceptedBefore)
                .as("node accepts vs client connections").isBetween(s.connections(), s.connectAttempts()));
        assertThat(s.connectAttempts() - s.connections()).as("connects cut by the close").isLessThanOrEqualTo(2);
        assertThat(s.httpRequests()).isGreaterThanOrEqualTo(sent.size() + 2);
        assertThat(s.polls()).isGreaterThanOrEqualTo(2);
        if (keepAlive) {
            // two lanes per client, re-used for every request
            assertThat(s.connections()).isLessThanOrEqualTo(4);
        } else {
            // one TCP connection per HTTP request; a poll connection that became active as close() ran
            // carries no request (the fanout helper saw 33 connections for 32 requests once)
            assertThat(s.connections() - s.httpRequests()).as("connections without a request").isBetween(0L, 2L);
        }
        assertThat(s.bytesOut()).isPositive();
        assertThat(s.bytesIn()).isPositive();
    }

    private static List<String> bodyList(Recorder r, String from) {
        return r.messages.stream().filter(m -> m.from().equals(from)).map(ChatMessage::body).toList();
    }

    private static List<String> bobGot(Recorder b) {
        return bodyList(b, "alice");
    }

    /** With a token issued up front, so every connection the node accepts is the transport's. */
    private static ClientOptions options(ChatNode node, URI uri, String user, String ip, ClientOptions.TransportMode mode,
                                         boolean keepAlive) throws Exception {
        return ClientOptions.builder(uri, user).token(node.tokens().issue(user)).transport(mode).localAddress(InetAddress.getByName(ip))
                .keepAlive(keepAlive).pollInterval(Duration.ofMillis(100)).pollWait(Duration.ofSeconds(2))
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).build();
    }
}
