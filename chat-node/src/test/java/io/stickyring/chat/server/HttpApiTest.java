package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.bus.BusEvent;
import io.stickyring.chat.bus.LocalMessageBus;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.store.SqliteMessageStore;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API: login, send (idempotent), long poll, history, conversations, health, metrics, static files. */
@Timeout(60)
class HttpApiTest {
    @TempDir
    Path dir;
    ChatNode node;
    String base;
    static final String DM = Conversations.dmId("alice", "bob");

    @BeforeEach
    void start() throws Exception {
        node = TestNodes.start(dir);
        base = "http://127.0.0.1:" + node.address().getPort();
    }

    @AfterEach
    void stop() {
        node.close();
    }

    record Res(int status, JsonNode json, String text, String type) { }

    Res call(String method, String path, String token, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = WsClient.HTTP.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).orTimeout(20, TimeUnit.SECONDS).join();
        JsonNode json = null;
        String type = r.headers().firstValue("content-type").orElse("");
        if (type.startsWith("application/json")) {
            try {
                json = Frames.JSON.readTree(r.body());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        return new Res(r.statusCode(), json, r.body(), type);
    }

    String login(String user) {
        Res r = call("POST", "/api/login", null, "{\"user\":\"" + user + "\"}");
        assertThat(r.status()).isEqualTo(200);
        return r.json().get("token").asText();
    }

    @Test
    void anHttpSendIsPushedToTheRecipientsWebSocketOnce() {
        String alice = login("alice");
        try (WsClient bob = WsClient.login(node, "bob", 0)) {
            bob.next("synced");
            Res ack = call("POST", "/api/send", alice, "{\"id\":\"hw\",\"conv\":\"" + DM + "\",\"body\":\"to your socket\"}");
            assertThat(ack.status()).isEqualTo(200);
            JsonNode msg = bob.next("msg");
            assertThat(msg.get("id").asText()).isEqualTo("hw");
            assertThat(msg.get("seq").asLong()).isEqualTo(ack.json().get("seq").asLong());
            assertThat(bob.fence()).as("delivered once").isEmpty();
        }
    }

    @Test
    void sendIsIdempotentAndPollReturnsAfterTheCursor() {
        String alice = login("alice");
        String bob = login("bob");
        String body = "{\"id\":\"h1\",\"conv\":\"" + DM + "\",\"body\":\"over http\"}";
        Res ack1 = call("POST", "/api/send", alice, body);
        Res ack2 = call("POST", "/api/send", alice, body);
        assertThat(ack1.status()).isEqualTo(200);
        assertThat(ack1.json().get("t").asText()).isEqualTo("ack");
        assertThat(ack2.json()).isEqualTo(ack1.json());
        Res poll = call("GET", "/api/poll?cursor=0", bob, null);
        assertThat(poll.json().get("cursor").asLong()).isEqualTo(1);
        assertThat(poll.json().get("messages")).hasSize(1);
        assertThat(poll.json().get("messages").get(0).get("body").asText()).isEqualTo("over http");
        Res empty = call("GET", "/api/poll?cursor=1", bob, null);
        assertThat(empty.json().get("messages")).isEmpty();
        assertThat(empty.json().get("cursor").asLong()).isEqualTo(1);
    }

    @Test
    void longPollWakesOnANewMessage() {
        String alice = login("alice");
        String bob = login("bob");
        CompletableFuture<Res> waiting = CompletableFuture.supplyAsync(() -> call("GET", "/api/poll?cursor=0&wait=15", bob, null));
        // Send only once the poll is parked on the node (listening for bob), so it must be woken.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> node.hasListener("bob"));
        assertThat(waiting).isNotDone();
        long t0 = System.nanoTime();
        call("POST", "/api/send", alice, "{\"id\":\"lp\",\"conv\":\"" + DM + "\",\"body\":\"wake up\"}");
        Res r = waiting.orTimeout(15, TimeUnit.SECONDS).join();
        assertThat(r.json().get("messages").get(0).get("body").asText()).isEqualTo("wake up");
        // Woken by the push, not by the 15 s timeout.
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(10));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !node.hasListener("bob"));
    }

    @Test
    void longPollWakesOnAResyncHintWhenThePushWasLost() throws Exception {
        node.close();
        LocalMessageBus bus = new LocalMessageBus();
        node = ChatNode.start(TestNodes.config(dir, "n2").build(),
                new SqliteMessageStore(SqliteMessageStore.Config.defaults(dir.resolve("n2.db"))), bus);
        base = "http://127.0.0.1:" + node.address().getPort();
        String bob = login("bob");
        CompletableFuture<Res> waiting = CompletableFuture.supplyAsync(() -> call("GET", "/api/poll?cursor=0&wait=30", bob, null));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> node.hasListener("bob"));
        // Committed where no push reaches this node (the NATS bus was down): only the hint comes.
        node.store().append(new SendRequest("alice", "lost", DM, "no push")).join();
        AtomicInteger healed = new AtomicInteger();
        bus.publish(new BusEvent.Resync("bob", healed::incrementAndGet));
        // Well before the 30 s wait ends: woken by the hint.
        Res r = waiting.orTimeout(15, TimeUnit.SECONDS).join();
        assertThat(r.json().get("messages").get(0).get("id").asText()).isEqualTo("lost");
        assertThat(healed).hasValue(1);
    }

    @Test
    void longPollTimesOutEmpty() {
        String bob = login("bob");
        Res r = call("GET", "/api/poll?cursor=0&wait=1", bob, null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("messages")).isEmpty();
    }

    @Test
    void conversationsHistoryAndErrors() {
        String alice = login("alice");
        String bob = login("bob");
        Res created = call("POST", "/api/conversations", alice, "{\"members\":[\"bob\",\"carol\"],\"title\":\"team\"}");
        assertThat(created.status()).isEqualTo(200);
        String g = created.json().get("id").asText();
        assertThat(g).startsWith("g:");
        assertThat(created.json().get("members")).hasSize(3);
        for (int i = 1; i <= 3; i++) {
            assertThat(call("POST", "/api/send", bob, "{\"id\":\"g" + i + "\",\"conv\":\"" + g + "\",\"body\":\"b" + i + "\"}").status()).isEqualTo(200);
        }
        Res list = call("GET", "/api/conversations", alice, null);
        assertThat(list.json().get("conversations")).hasSize(1);
        assertThat(list.json().get("conversations").get(0).get("title").asText()).isEqualTo("team");
        Res hist = call("GET", "/api/history?conv=" + g + "&before=3&limit=1", alice, null);
        assertThat(hist.json().get("messages")).hasSize(1);
        assertThat(hist.json().get("messages").get(0).get("seq").asLong()).isEqualTo(2);

        assertThat(call("GET", "/api/conversations", null, null).status()).isEqualTo(401);
        assertThat(call("GET", "/api/conversations", "forged", null).status()).isEqualTo(401);
        String mallory = login("mallory");
        Res forbidden = call("GET", "/api/history?conv=" + g, mallory, null);
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.json().get("code").asText()).isEqualTo("not_member");
        assertThat(call("POST", "/api/send", mallory, "{\"id\":\"x\",\"conv\":\"" + g + "\",\"body\":\"b\"}").status()).isEqualTo(403);
        assertThat(call("POST", "/api/send", alice, "{broken").status()).isEqualTo(400);
        assertThat(call("GET", "/api/poll?cursor=-1", alice, null).status()).isEqualTo(400);
        assertThat(call("POST", "/api/login", null, "{\"user\":\"bad:user\"}").status()).isEqualTo(400);
        assertThat(call("GET", "/api/send", alice, null).status()).isEqualTo(405);
        assertThat(call("POST", "/api/send", alice, "{\"id\":\"big\",\"conv\":\"" + g + "\",\"body\":\"" + "z".repeat(70_000) + "\"}").status())
                .isEqualTo(413);
        assertThat(node.store().history(g, Long.MAX_VALUE, 10)).hasSize(3);
    }

    @Test
    void staticFilesAndNoMetricsOrHealthOnThePublicPort() {
        // Those live on the admin listener (AdminListenerTest).
        assertThat(call("GET", "/metrics", null, null).status()).isEqualTo(404);
        assertThat(call("GET", "/healthz", null, null).status()).isEqualTo(404);
        Res index = call("GET", "/", null, null);
        assertThat(index.status()).isEqualTo(200);
        assertThat(index.type()).startsWith("text/html");
        assertThat(call("GET", "/../pom.xml", null, null).status()).isEqualTo(404);
        assertThat(call("GET", "/nope.js", null, null).status()).isEqualTo(404);
    }
}
