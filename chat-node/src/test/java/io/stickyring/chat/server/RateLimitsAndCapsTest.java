package io.stickyring.chat.server;

import static io.stickyring.chat.server.WsClient.sendFrame;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.model.Conversations;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 finding 5 (and the read-mark part of 7): every authenticated operation draws on the
 * per-user bucket, group creation has its own slower bucket, a user can be in at most
 * {@code --max-groups-per-user} groups, and a read mark never passes the conversation's head.
 */
@Timeout(60)
class RateLimitsAndCapsTest {
    @TempDir
    Path dir;
    static final String DM = Conversations.dmId("alice", "bob");

    record Res(int status, JsonNode json) { }

    static Res call(ChatNode node, String method, String path, String user, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.address().getPort() + path))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + node.tokens().issue(user))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = WsClient.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Res(r.statusCode(), Frames.JSON.readTree(r.body()));
    }

    static ChatNode node(Path dir, Consumer<NodeConfig.Builder> change) throws Exception {
        return TestNodes.start(dir, "n1", change);
    }

    @Test
    void httpReadsDrawOnTheUsersBucket() throws Exception {
        try (ChatNode node = node(dir, b -> {
            b.ratePerSecond = 0.01; // no refill within the test
            b.rateBurst = 3;
        })) {
            for (String path : List.of("/api/history?conv=" + DM, "/api/poll?cursor=0", "/api/conversations")) {
                assertThat(call(node, "GET", path, "alice", null).status()).as(path).isNotEqualTo(429);
            }
            for (String path : List.of("/api/history?conv=" + DM, "/api/poll?cursor=0", "/api/conversations")) {
                Res r = call(node, "GET", path, "alice", null);
                assertThat(r.status()).as(path).isEqualTo(429);
                assertThat(r.json().get("code").asText()).isEqualTo("rate_limited");
            }
            // Another user's bucket is untouched.
            assertThat(call(node, "GET", "/api/conversations", "bob", null).status()).isEqualTo(200);
        }
    }

    @Test
    void webSocketPingsDrawOnTheUsersBucket() throws Exception {
        try (ChatNode node = node(dir, b -> {
            b.ratePerSecond = 0.01;
            b.rateBurst = 2;
        }); WsClient c = WsClient.login(node, "alice", 0)) {
            c.next("synced");
            c.send(Frames.frame("ping"));
            c.next("pong");
            c.send(Frames.frame("ping"));
            c.next("pong");
            c.send(Frames.frame("ping").put("ref", "p3"));
            JsonNode e = c.next("error");
            assertThat(e.get("code").asText()).isEqualTo("rate_limited");
            assertThat(e.get("ref").asText()).isEqualTo("p3");
        }
    }

    @Test
    void groupCreationHasItsOwnLimit() throws Exception {
        try (ChatNode node = node(dir, b -> b.groupsPerMinute = 3)) {
            for (int i = 0; i < 3; i++) {
                assertThat(call(node, "POST", "/api/conversations", "alice", "{\"members\":[\"bob\"]}").status()).isEqualTo(200);
            }
            Res r = call(node, "POST", "/api/conversations", "alice", "{\"members\":[\"bob\"]}");
            assertThat(r.status()).isEqualTo(429);
            assertThat(r.json().get("message").asText()).contains("group creation");
            assertThat(node.store().groupCount("alice")).isEqualTo(3);
        }
    }

    @Test
    void aUserCanBeInAtMostMaxGroupsPerUserGroups() throws Exception {
        try (ChatNode node = node(dir, b -> b.maxGroupsPerUser = 2)) {
            assertThat(call(node, "POST", "/api/conversations", "alice", "{\"members\":[\"bob\"]}").status()).isEqualTo(200);
            assertThat(call(node, "POST", "/api/conversations", "carol", "{\"members\":[\"bob\"]}").status()).isEqualTo(200);
            // bob is in 2 groups: nobody can add him to a third.
            Res r = call(node, "POST", "/api/conversations", "dave", "{\"members\":[\"bob\",\"erin\"]}");
            assertThat(r.status()).isEqualTo(409);
            assertThat(r.json().get("code").asText()).isEqualTo("too_many_groups");
            assertThat(r.json().get("message").asText()).contains("'bob'").contains("2");
            assertThat(node.store().groupCount("dave")).isZero();
            assertThat(call(node, "POST", "/api/conversations", "dave", "{\"members\":[\"erin\"]}").status()).isEqualTo(200);
        }
    }

    @Test
    void aReadMarkIsClampedToTheConversationHead() throws Exception {
        try (ChatNode node = node(dir, b -> { });
             WsClient alice = WsClient.login(node, "alice", 0);
             WsClient bob = WsClient.login(node, "bob", 0)) {
            alice.next("synced");
            bob.next("synced");
            alice.send(sendFrame("a1", DM, "one"));
            alice.until("ack");
            alice.send(sendFrame("a2", DM, "two"));
            alice.until("ack");
            bob.send(Frames.frame("read").put("conv", DM).put("seq", 1_000_000));
            List<JsonNode> frames = alice.until("receipt");
            JsonNode receipt = frames.get(frames.size() - 1);
            assertThat(receipt.get("user").asText()).isEqualTo("bob");
            assertThat(receipt.get("seq").asLong()).isEqualTo(2);
        }
    }
}
