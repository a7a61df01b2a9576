package io.stickyring.chat.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.chat.server.ChatNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill -9 the client process with messages in its persistent outbox, restart it: every message is
 * stored and delivered exactly once. Two phases: killed while the server was unreachable (all
 * messages only in the outbox), and killed while sending (some acked, some in flight, some queued).
 */
@Timeout(180)
class ClientProcessKillTest {
    @TempDir
    Path dir;

    private static Process child(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                ClientProcessMain.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static String awaitLine(Process p, String prefix) throws Exception {
        CompletableFuture<String> line = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String s;
                while ((s = r.readLine()) != null) {
                    if (s.startsWith(prefix) || s.startsWith("STUCK")) {
                        line.complete(s);
                    }
                }
            } catch (Exception e) {
                // process gone
            }
            line.completeExceptionally(new AssertionError("child exited without " + prefix));
        });
        t.setDaemon(true);
        t.start();
        return line.get(90, TimeUnit.SECONDS);
    }

    private static void kill9(Process p) throws InterruptedException {
        p.destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void killedClientProcessDeliversEveryQueuedMessageExactlyOnceAfterRestart() throws Exception {
        try (ChatNode node = Nodes.start(dir.resolve("n.db"), "n1", 0)) {
            String url = "http://127.0.0.1:" + node.address().getPort();
            String dead;
            try (ServerSocket s = new ServerSocket(0)) {
                dead = "http://127.0.0.1:" + s.getLocalPort();
            }
            String outbox = dir.resolve("alice-outbox").toString();

            // Phase A: nothing reachable; 50 messages exist only in the outbox when the process dies.
            Process a = child("queue", dead, "alice", outbox, "dm:alice:bob", "A", "50");
            try {
                assertThat(awaitLine(a, "QUEUED")).isEqualTo("QUEUED 50");
            } finally {
                kill9(a);
            }
            assertThat(Files.readAllLines(Path.of(outbox, FileOutbox.LOG)).stream().filter(l -> l.contains("\"add\"")))
                    .hasSize(50);
            Process drainA = child("drain", url, "alice", outbox);
            assertThat(awaitLine(drainA, "DRAINED")).isEqualTo("DRAINED");
            assertThat(drainA.waitFor(30, TimeUnit.SECONDS)).isTrue();

            // Phase B: connected; killed right after queueing 300, while acks are still streaming back.
            Process b = child("queue", url, "alice", outbox, "dm:alice:bob", "B", "300");
            try {
                assertThat(awaitLine(b, "QUEUED")).isEqualTo("QUEUED 300");
            } finally {
                kill9(b);
            }
            Process drainB = child("drain", url, "alice", outbox);
            assertThat(awaitLine(drainB, "DRAINED")).isEqualTo("DRAINED");
            assertThat(drainB.waitFor(30, TimeUnit.SECONDS)).isTrue();

            // Everything is acked now: bob's full inbox, replayed from cursor 0, is the stored truth.
            Recorder bob = new Recorder();
            try (ChatClient c = ChatClient.start(ClientOptions.builder(java.net.URI.create(url), "bob").devLogin(true).build(),
                    new MemoryOutbox(), bob)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> bob.messages.size() >= 350
                        && c.cursor() == node.store().inboxHead("bob"));
                Map<String, Long> counts = bob.messages.stream()
                        .collect(Collectors.groupingBy(ChatMessage::body, Collectors.counting()));
                assertThat(bob.messages).hasSize(350);
                assertThat(counts).hasSize(350).allSatisfy((body, n) -> assertThat(n).isEqualTo(1L));
                for (int i = 0; i < 50; i++) {
                    assertThat(counts).containsKey("A-" + i);
                }
                for (int i = 0; i < 300; i++) {
                    assertThat(counts).containsKey("B-" + i);
                }
                // per phase, the outbox drained in enqueue order
                List<String> bBodies = bob.bodies().stream().filter(s -> s.startsWith("B-")).toList();
                assertThat(bBodies).containsExactlyElementsOf(
                        java.util.stream.IntStream.range(0, 300).mapToObj(i -> "B-" + i).toList());
                assertThat(bob.messages.stream().map(ChatMessage::id).collect(Collectors.toSet())).hasSize(350);
                Function<ChatMessage, String> from = ChatMessage::from;
                assertThat(bob.messages).extracting(from).containsOnly("alice");
            }
        }
    }
}
