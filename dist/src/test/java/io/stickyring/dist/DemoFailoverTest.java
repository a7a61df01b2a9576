package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo as a user meets it: started programmatically with 3 chat nodes (real child JVMs), then
 * clients from distinct loopback IPs through its LB, a kill -9 of one node through the demo control
 * endpoint, failover, and resume from a cursor: on a survivor with the shared store (default), on
 * the restarted node with per-node stores. Each test ends with no child process left.
 */
class DemoFailoverTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private Demo demo;
    private final List<ProcessHandle> children = new ArrayList<>();
    private final List<LoopbackChatClient> clients = new ArrayList<>();

    @AfterEach
    void stopEverything() {
        clients.forEach(LoopbackChatClient::close);
        if (demo != null) {
            children.addAll(demo.childProcesses());
            demo.close();
        }
        // No orphans: every node process this demo ever ran is gone once close() returns.
        assertThat(children).allSatisfy(p -> assertThat(p.isAlive()).as("child pid %d alive after close", p.pid()).isFalse());
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void sharedStoreClientsOnTwoNodesTalkAndTheKilledNodesClientResumesFromItsCursorOnASurvivor() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        demo = Demo.start(DemoConfig.defaults().onFreePorts().withDataDir(dir.resolve("demo-data")),
                new PrintStream(progress, true, StandardCharsets.UTF_8));
        children.addAll(demo.childProcesses());
        assertThat(progress.toString(StandardCharsets.UTF_8)).contains("demo: store", "shared by every node");
        assertThat(demo.lbMembers().keySet()).containsExactlyInAnyOrder("n1", "n2", "n3");

        // alice from 127.0.0.2 on node X; bob from 127.0.0.3, or the first address after it that the
        // LB's /lookup puts on another node Y.
        String aliceIp = "127.0.0.2";
        String x = owner(aliceIp);
        String bobIp = firstIp(ip -> !owner(ip).equals(x));
        String y = owner(bobIp);
        InetSocketAddress lb = demo.proxyAddress();
        String aliceToken = LoopbackChatClient.login(lb, aliceIp, "alice");
        String bobToken = LoopbackChatClient.login(lb, bobIp, "bob");
        LoopbackChatClient alice = open(lb, aliceIp, aliceToken, 0);
        LoopbackChatClient bob = open(lb, bobIp, bobToken, 0);
        assertThat(alice.welcome.path("node").asText()).isEqualTo(x);
        assertThat(bob.welcome.path("node").asText()).isEqualTo(y);
        assertThat(bob.welcome.path("ip").asText()).isEqualTo(bobIp);
        await().atMost(Duration.ofSeconds(10)).until(() -> demo.lbMembers().get(x).path("connections").asInt() == 1
                && demo.lbMembers().get(y).path("connections").asInt() == 1);

        // alice (on X) -> bob (on Y): acked on X, delivered live on Y through the shared store.
        String dm = "dm:alice:bob";
        JsonNode ack1 = alice.sendAndAwaitAck(dm, "m1 across nodes");
        JsonNode m1 = bob.next("msg", Duration.ofSeconds(10));
        assertThat(m1.path("body").asText()).isEqualTo("m1 across nodes");
        assertThat(m1.path("seq").asLong()).isEqualTo(ack1.path("seq").asLong());
        JsonNode ownM1 = alice.next("msg", Duration.ofSeconds(10));
        assertThat(ownM1.path("id").asText()).isEqualTo(ack1.path("id").asText());
        long aliceCursor = ownM1.path("cursor").asLong();

        // kill -9 X: alice drops, bob on Y stays connected.
        JsonNode killed = post("nodes/" + x + "/kill?signal=KILL");
        assertThat(killed.path("message").asText()).contains("SIGKILL", "exit status 137");
        assertThat(alice.closed).succeedsWithin(Duration.ofSeconds(15));
        assertThat(bob.isOpen()).isTrue();

        // While alice is away bob writes to her; it is durable once acked.
        JsonNode ack2 = bob.sendAndAwaitAck(dm, "m2 while you were away");

        // alice reconnects through the LB with her cursor: she lands on a survivor and gets exactly
        // what came after her cursor (m2, not m1 again).
        LoopbackChatClient aliceAgain = open(lb, aliceIp, aliceToken, aliceCursor);
        String z = aliceAgain.welcome.path("node").asText();
        assertThat(z).isNotEqualTo(x).isEqualTo(firstOtherThan(x, lookup(aliceIp).path("preference")));
        List<JsonNode> replay = aliceAgain.until("synced", Duration.ofSeconds(10)).stream()
                .filter(f -> f.path("t").asText().equals("msg")).toList();
        assertThat(replay).hasSize(1);
        assertThat(replay.get(0).path("body").asText()).isEqualTo("m2 while you were away");
        assertThat(replay.get(0).path("seq").asLong()).isEqualTo(ack2.path("seq").asLong());
        assertThat(replay.get(0).path("cursor").asLong()).isEqualTo(aliceCursor + 1);

        // And the conversation goes on across nodes; bob never noticed anything.
        JsonNode ack3 = aliceAgain.sendAndAwaitAck(dm, "m3 from the survivor");
        JsonNode ownM2 = bob.next("msg", Duration.ofSeconds(10)); // bob's inbox holds his own message too
        assertThat(ownM2.path("id").asText()).isEqualTo(ack2.path("id").asText());
        JsonNode m3 = bob.next("msg", Duration.ofSeconds(10));
        assertThat(m3.path("body").asText()).isEqualTo("m3 from the survivor");
        assertThat(m3.path("seq").asLong()).isEqualTo(ack3.path("seq").asLong());
        assertThat(bob.closed).isNotDone();

        children.addAll(demo.childProcesses());
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void perNodeStoresKillMinusNineMovesOnlyThatNodesClientsTheyResumeAfterRestartAndAGracefulKillDrains() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        DemoConfig config = DemoConfig.defaults().onFreePorts().withDataDir(dir.resolve("demo-data")).withSharedStore(false);
        demo = Demo.start(config, new PrintStream(progress, true, StandardCharsets.UTF_8));
        children.addAll(demo.childProcesses());

        // One progress line per component, and every node in the LB's /members.
        String shown = progress.toString(StandardCharsets.UTF_8);
        assertThat(shown).contains("demo: zookeeper", "demo: lb", "demo: node n1", "demo: node n2", "demo: node n3", "demo: ready");
        assertThat(children).hasSize(3);
        Map<String, JsonNode> members = demo.lbMembers();
        assertThat(members.keySet()).containsExactlyInAnyOrder("n1", "n2", "n3");
        assertThat(members.values()).allSatisfy(m -> assertThat(m.path("state").asText()).isEqualTo("ACTIVE"));
        assertThat(dir.resolve("demo-data/n1/chat.db")).exists();
        assertThat(dir.resolve("demo-data/n2/chat.db")).exists();

        // Client IPs chosen by the LB's own /lookup: alice and bob share a node X, carol is on another node Y.
        String aliceIp = "127.0.0.2";
        String x = owner(aliceIp);
        String bobIp = firstIp(ip -> !ip.equals(aliceIp) && owner(ip).equals(x));
        String carolIp = firstIp(ip -> !owner(ip).equals(x));
        String y = owner(carolIp);

        InetSocketAddress lb = demo.proxyAddress();
        String aliceToken = LoopbackChatClient.login(lb, aliceIp, "alice");
        String bobToken = LoopbackChatClient.login(lb, bobIp, "bob");
        String carolToken = LoopbackChatClient.login(lb, carolIp, "carol");
        LoopbackChatClient alice = open(lb, aliceIp, aliceToken, 0);
        LoopbackChatClient bob = open(lb, bobIp, bobToken, 0);
        LoopbackChatClient carol = open(lb, carolIp, carolToken, 0);
        // The LB routed by client IP and told each node the real client address (PROXY v2).
        assertThat(alice.welcome.path("node").asText()).isEqualTo(x);
        assertThat(bob.welcome.path("node").asText()).isEqualTo(x);
        assertThat(carol.welcome.path("node").asText()).isEqualTo(y);
        assertThat(alice.welcome.path("ip").asText()).isEqualTo(aliceIp);
        assertThat(carol.welcome.path("ip").asText()).isEqualTo(carolIp);

        // alice -> bob through the LB: acked, delivered.
        JsonNode ack1 = alice.sendAndAwaitAck("dm:alice:bob", "before the crash");
        JsonNode m1 = bob.next("msg", Duration.ofSeconds(10));
        assertThat(m1.path("body").asText()).isEqualTo("before the crash");
        assertThat(m1.path("seq").asLong()).isEqualTo(ack1.path("seq").asLong());
        long bobCursor = m1.path("cursor").asLong();
        long aliceCursor = alice.welcome.path("cursor").asLong();

        // /members counts the live connections the kill will (X: alice, bob) and will not (Y: carol) cut.
        await().atMost(Duration.ofSeconds(10)).until(() -> demo.lbMembers().get(x).path("connections").asInt() == 2
                && demo.lbMembers().get(y).path("connections").asInt() == 1);

        // kill -9 X through the demo control endpoint: a real SIGKILL of its process.
        ProcessHandle xProcess = pidOf(x);
        JsonNode killed = post("nodes/" + x + "/kill?signal=KILL");
        assertThat(killed.path("message").asText()).contains("SIGKILL", "exit status 137");
        assertThat(xProcess.isAlive()).isFalse();

        // Only X's clients drop; carol on Y never notices and keeps working.
        assertThat(alice.closed).succeedsWithin(Duration.ofSeconds(15));
        assertThat(bob.closed).succeedsWithin(Duration.ofSeconds(15));
        assertThat(carol.isOpen()).isTrue();
        assertThat(carol.closed).isNotDone();
        assertThat(carol.sendAndAwaitAck("dm:carol:dave", "still here").path("seq").asLong()).isPositive();

        // alice reconnects through the LB from the same IP with her cursor: the LB skips dead X and
        // lands her on the next node of her preference order, where she can send again.
        LoopbackChatClient aliceAgain = open(lb, aliceIp, aliceToken, aliceCursor);
        String z = aliceAgain.welcome.path("node").asText();
        assertThat(z).isNotEqualTo(x).isIn("n1", "n2", "n3");
        assertThat(z).isEqualTo(firstOtherThan(x, lookup(aliceIp).path("preference")));
        assertThat(aliceAgain.sendAndAwaitAck("dm:alice:erin", "after the crash").path("seq").asLong()).isPositive();

        // Restart X (same data directory): the LB sees it ACTIVE again at its new address.
        JsonNode started = post("nodes/" + x + "/start");
        assertThat(started.path("ok").asBoolean()).as(started.toString()).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> "ACTIVE".equals(demo.lbMembers().get(x).path("state").asText())
                && demo.lbMembers().get(x).path("address").asText().equals(statusOf(x).address()));
        // The failed-over connection is not cut when X comes back; carol is still untouched.
        assertThat(aliceAgain.isOpen()).isTrue();
        assertThat(carol.isOpen()).isTrue();

        // bob resumes from his cursor on restarted X: exactly what came after it, nothing twice.
        LoopbackChatClient alice3 = open(lb, aliceIp, aliceToken, aliceCursor);
        assertThat(alice3.welcome.path("node").asText()).isEqualTo(x);
        JsonNode ack2 = alice3.sendAndAwaitAck("dm:alice:bob", "after the restart");
        LoopbackChatClient bobAgain = open(lb, bobIp, bobToken, bobCursor);
        assertThat(bobAgain.welcome.path("node").asText()).isEqualTo(x);
        JsonNode m2 = bobAgain.next("msg", Duration.ofSeconds(10));
        assertThat(m2.path("body").asText()).isEqualTo("after the restart");
        assertThat(m2.path("seq").asLong()).isEqualTo(ack2.path("seq").asLong());
        assertThat(m2.path("cursor").asLong()).isEqualTo(bobCursor + 1);
        // And the message acked before the kill -9 survived it on X's disk.
        LoopbackChatClient bobFromZero = open(lb, bobIp, bobToken, 0);
        JsonNode replayed = bobFromZero.next("msg", Duration.ofSeconds(10));
        assertThat(replayed.path("body").asText()).isEqualTo("before the crash");
        assertThat(replayed.path("seq").asLong()).isEqualTo(ack1.path("seq").asLong());

        // A graceful kill (SIGTERM) of carol's node Y: DRAINING, then her session is closed with 1012
        // (reconnect elsewhere), Y deregisters at once and exits with 143.
        JsonNode drained = post("nodes/" + y + "/kill");
        assertThat(drained.path("message").asText()).contains("SIGTERM", "exit status 143");
        assertThat(carol.closed).succeedsWithin(Duration.ofSeconds(15)).isEqualTo(1012);
        await().atMost(Duration.ofSeconds(10)).until(() -> !demo.lbMembers().containsKey(y));

        children.addAll(demo.childProcesses());
        List<ProcessHandle> all = List.copyOf(children);
        demo.close();
        assertThat(all).allSatisfy(p -> assertThat(p.isAlive()).isFalse());
    }

    private LoopbackChatClient open(InetSocketAddress lb, String ip, String token, long cursor) throws InterruptedException {
        LoopbackChatClient c = LoopbackChatClient.connect(lb, ip, token, cursor);
        clients.add(c);
        return c;
    }

    private static String firstOtherThan(String x, JsonNode preference) {
        for (JsonNode id : preference) {
            if (!id.asText().equals(x)) {
                return id.asText();
            }
        }
        throw new AssertionError("no member other than " + x + " in " + preference);
    }

    private String firstIp(Predicate<String> wanted) {
        return LoopbackChatClient.firstIp(wanted);
    }

    private String owner(String ip) {
        return lookup(ip).path("member").asText();
    }

    private JsonNode lookup(String ip) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(demo.adminUrl().resolve("lookup?ip=" + ip)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return LoopbackChatClient.JSON.readTree(r.body());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private JsonNode post(String path) throws IOException, InterruptedException {
        URI uri = demo.controlUrl().resolve(path);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        return LoopbackChatClient.JSON.readTree(r.body());
    }

    private DemoNode.Status statusOf(String id) {
        return demo.nodeStatus().stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    private ProcessHandle pidOf(String id) {
        return ProcessHandle.of(statusOf(id).pid()).orElseThrow();
    }
}
