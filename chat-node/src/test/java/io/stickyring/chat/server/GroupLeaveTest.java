package io.stickyring.chat.server;

import static io.stickyring.chat.server.WsClient.sendFrame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.bus.NatsTestServer;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.store.PostgresTestSchemas;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leaving a group (issue 12 finding 5: "no one can leave one"): the {@code leave} frame and
 * {@code POST /api/leave} remove the member; from then on the member can neither send to nor read
 * the group and gets none of its new messages, on the node that took the leave and, through the
 * bus, on every other node of the cluster (whose cached member list would otherwise keep the
 * member in for good).
 */
@Timeout(120)
class GroupLeaveTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String schema;

    /** The stores' periodic member-list sweep would hide a missing bus notice: push it out of the test's reach. */
    @BeforeAll
    static void noCacheSweepDuringTheTest() {
        System.setProperty(io.stickyring.chat.store.MessageStores.GROUP_CACHE_TTL_PROPERTY, "3600000");
    }

    @AfterAll
    static void restoreCacheSweep() {
        System.clearProperty(io.stickyring.chat.store.MessageStores.GROUP_CACHE_TTL_PROPERTY);
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        if (schema != null) {
            PostgresTestSchemas.drop(schema);
        }
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    private static String createGroup(ChatNode node, String creator, String... members) throws Exception {
        RateLimitsAndCapsTest.Res r = RateLimitsAndCapsTest.call(node, "POST", "/api/conversations", creator,
                Frames.encode(Frames.JSON.createObjectNode().put("title", "team")
                        .set("members", Frames.JSON.valueToTree(List.of(members)))));
        assertThat(r.status()).as(r.json().toString()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    /** {@code POST /api/send} as {@code user}; returns the HTTP status. */
    private static int httpSend(ChatNode node, String user, String id, String conv, String body) throws Exception {
        return RateLimitsAndCapsTest.call(node, "POST", "/api/send", user, Frames.encode(
                Frames.JSON.createObjectNode().put("id", id).put("conv", conv).put("body", body))).status();
    }

    /** The bodies of {@code user}'s inbox from cursor 0, through {@code GET /api/poll}. */
    private static List<String> inbox(ChatNode node, String user) throws Exception {
        JsonNode poll = RateLimitsAndCapsTest.call(node, "GET", "/api/poll?cursor=0", user, null).json();
        List<String> out = new ArrayList<>();
        poll.get("messages").forEach(m -> out.add(m.get("body").asText()));
        return out;
    }

    /** The next frame of {@code type}, skipping others (pushes of the member's own messages). */
    private static JsonNode nextOf(WsClient c, String type) {
        List<JsonNode> frames = c.until(type);
        return frames.get(frames.size() - 1);
    }

    @Test
    void aMemberWhoLeavesCanNoLongerSendReadOrReceive() throws Exception {
        ChatNode node = closeLater(TestNodes.start(dir));
        String g = createGroup(node, "alice", "bob", "carol");
        WsClient bob = closeLater(WsClient.login(node, "bob", 0));
        bob.next("synced");
        bob.send(sendFrame("b1", g, "hello team"));
        bob.until("ack");

        // The frame.
        bob.send(Frames.frame("leave").put("conv", g).put("ref", "L1"));
        JsonNode left = nextOf(bob, "left");
        assertThat(left.get("conv").asText()).isEqualTo(g);
        assertThat(left.get("ref").asText()).isEqualTo("L1");
        bob.send(sendFrame("b2", g, "still here?"));
        JsonNode refused = nextOf(bob, "error");
        assertThat(refused.get("code").asText()).isEqualTo("not_member");
        bob.send(Frames.frame("history").put("conv", g).put("ref", "H1"));
        JsonNode noHistory = nextOf(bob, "error");
        assertThat(noHistory.get("code").asText()).isEqualTo("not_member");
        bob.send(Frames.frame("leave").put("conv", g).put("ref", "L2"));
        assertThat(nextOf(bob, "error").get("code").asText()).isEqualTo("not_member");
        bob.send(Frames.frame("leave").put("conv", Conversations.dmId("alice", "bob")).put("ref", "L3"));
        assertThat(nextOf(bob, "error").get("code").asText()).isEqualTo("bad_request");

        // The HTTP call.
        RateLimitsAndCapsTest.Res r = RateLimitsAndCapsTest.call(node, "POST", "/api/leave", "carol",
                "{\"conv\":\"" + g + "\"}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("t").asText()).isEqualTo("left");
        assertThat(RateLimitsAndCapsTest.call(node, "GET", "/api/history?conv=" + g, "carol", null).status()).isEqualTo(403);
        assertThat(RateLimitsAndCapsTest.call(node, "POST", "/api/leave", "carol", "{\"conv\":\"" + g + "\"}").status())
                .isEqualTo(403);
        assertThat(RateLimitsAndCapsTest.call(node, "GET", "/api/leave", "carol", null).status()).isEqualTo(405);

        // New messages reach only the remaining member; bob's inbox ends with his own message.
        assertThat(httpSend(node, "alice", "a1", g, "just me")).isEqualTo(200);
        assertThat(inbox(node, "bob")).containsExactly("hello team");
        JsonNode convs = RateLimitsAndCapsTest.call(node, "GET", "/api/conversations", "bob", null).json();
        assertThat(convs.get("conversations")).isEmpty();
    }

    @Test
    void aLeaveOnOneNodeLocksTheMemberOutOnTheOtherNode() throws Exception {
        schema = PostgresTestSchemas.newSchema();
        String store = PostgresTestSchemas.spec(schema, "");
        String bus = NatsTestServer.SHARED + "?prefix=" + NatsTestServer.uniquePrefix();
        ChatNode n1 = closeLater(TestNodes.start(dir, "l1", b -> {
            b.store = store;
            b.bus = bus;
        }));
        ChatNode n2 = closeLater(TestNodes.start(dir, "l2", b -> {
            b.store = store;
            b.bus = bus;
        }));
        await().atMost(Duration.ofSeconds(20)).until(() -> ClusterOutageTest.metric(n1, "stickyring_chat_bus_connected") == 1
                && ClusterOutageTest.metric(n2, "stickyring_chat_bus_connected") == 1);
        String g = createGroup(n1, "alice", "bob");

        // bob works on n2, so n2 has cached the member list (with bob in it).
        WsClient bob = closeLater(WsClient.login(n2, "bob", 0));
        bob.next("synced");
        bob.send(sendFrame("b1", g, "before"));
        bob.until("ack");
        bob.send(Frames.frame("history").put("conv", g).put("ref", "H0"));
        assertThat(nextOf(bob, "history").get("messages")).hasSize(1);

        // bob leaves through n1.
        assertThat(RateLimitsAndCapsTest.call(n1, "POST", "/api/leave", "bob", "{\"conv\":\"" + g + "\"}").status())
                .isEqualTo(200);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> ClusterOutageTest.metric(n2, "stickyring_chat_group_changes_received_total") == 1);

        // On n2 bob can neither send nor read, and alice's next message does not reach him.
        bob.send(sendFrame("b2", g, "after"));
        assertThat(nextOf(bob, "error").get("code").asText()).isEqualTo("not_member");
        bob.send(Frames.frame("history").put("conv", g).put("ref", "H1"));
        assertThat(nextOf(bob, "error").get("code").asText()).isEqualTo("not_member");
        assertThat(httpSend(n2, "alice", "a1", g, "only alice")).isEqualTo(200);
        assertThat(inbox(n2, "bob")).containsExactly("before");
        assertThat(inbox(n1, "alice")).containsExactly("before", "only alice");
    }

    @Test
    void aLeaveTakenByAnEdgeReachesTheWriterThatCommitsTheGroupsSends() throws Exception {
        schema = PostgresTestSchemas.newSchema();
        String store = PostgresTestSchemas.spec(schema, "");
        String bus = NatsTestServer.SHARED + "?prefix=" + NatsTestServer.uniquePrefix();
        org.apache.curator.test.TestingServer zk = closeLater(new org.apache.curator.test.TestingServer(true));
        ChatNode w1 = closeLater(TestNodes.start(dir, "w1", b -> {
            b.store = store;
            b.bus = bus;
            b.zk = zk.getConnectString();
            b.cluster = "leave";
            b.role = io.stickyring.chat.cluster.NodeRole.WRITER;
        }));
        ChatNode e1 = closeLater(TestNodes.start(dir, "e1", b -> {
            b.store = store;
            b.bus = bus;
            b.zk = zk.getConnectString();
            b.cluster = "leave";
            b.role = io.stickyring.chat.cluster.NodeRole.EDGE;
        }));
        String commits = "stickyring_chat_commit_batch_size_sum";
        String g = createGroup(e1, "alice", "bob");
        // bob's sends go through the edge to the writer (once the edge sees it), which caches the group.
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            assertThat(httpSend(e1, "bob", "warm" + n.incrementAndGet(), g, "warm")).isEqualTo(200);
            return ClusterOutageTest.metric(w1, commits) > 0;
        });

        // The leave itself is committed by the edge's store (only sends are routed to writers).
        assertThat(RateLimitsAndCapsTest.call(e1, "POST", "/api/leave", "bob", "{\"conv\":\"" + g + "\"}").status())
                .isEqualTo(200);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> ClusterOutageTest.metric(w1, "stickyring_chat_group_changes_received_total") == 1);
        double writerCommits = ClusterOutageTest.metric(w1, commits);
        double edgeCommits = ClusterOutageTest.metric(e1, commits);
        // The writer refuses bob now (403) and commits alice's next message for alice alone.
        assertThat(httpSend(e1, "bob", "after", g, "after")).isEqualTo(403);
        assertThat(httpSend(e1, "alice", "a1", g, "only alice")).isEqualTo(200);
        assertThat(ClusterOutageTest.metric(w1, commits)).as("committed by the writer").isGreaterThan(writerCommits);
        assertThat(ClusterOutageTest.metric(e1, commits)).as("the edge committed no send").isEqualTo(edgeCommits);
        assertThat(inbox(e1, "bob")).doesNotContain("only alice", "after");
    }
}
