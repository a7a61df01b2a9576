package io.stickyring.chat.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client against a scripted peer: gap detection, dedup, retry hint, keep-alive, refusals. */
@Timeout(60)
class ClientProtocolTest {
    FakeNode fake;
    Recorder rec;
    ChatClient client;

    @BeforeEach
    void setUp() throws Exception {
        fake = new FakeNode();
        rec = new Recorder();
    }

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        fake.close();
    }

    private ChatClient start(ClientOptions.Builder b) {
        client = ChatClient.start(b.build(), new MemoryOutbox(), rec);
        return client;
    }

    private ClientOptions.Builder options() {
        return ClientOptions.builder(fake.uri(), "alice").token("t").transport(ClientOptions.TransportMode.WEBSOCKET)
                .backoff(Duration.ofMillis(10), Duration.ofMillis(50));
    }

    @Test
    void helloCarriesStoredCursorAndGapTriggersSyncFromLastProcessed() throws Exception {
        MemoryOutbox box = new MemoryOutbox();
        box.cursor(7);
        client = ChatClient.start(options().build(), box, rec);
        JsonNode hello = fake.next("hello");
        assertThat(hello.path("cursor").asLong()).isEqualTo(7);
        assertThat(hello.path("token").asText()).isEqualTo("t");
        fake.push(FakeNode.welcome());
        fake.push(FakeNode.msg("dm:alice:bob", 1, 8));
        fake.push(FakeNode.msg("dm:alice:bob", 3, 10)); // cursor 9 missing
        JsonNode sync = fake.next("sync");
        assertThat(sync.path("cursor").asLong()).isEqualTo(8);
        fake.push(FakeNode.msg("dm:alice:bob", 2, 9));
        fake.push(FakeNode.msg("dm:alice:bob", 3, 10));
        fake.push("{\"t\":\"synced\",\"cursor\":10}");
        fake.push(FakeNode.msg("dm:alice:bob", 3, 10)); // redelivered: dropped
        await().atMost(Duration.ofSeconds(10)).until(() -> rec.messages.size() == 3 && client.duplicatesDropped() == 1);
        assertThat(rec.messages).extracting(ChatMessage::cursor).containsExactly(8L, 9L, 10L);
        assertThat(rec.messages).extracting(ChatMessage::seq).containsExactly(1L, 2L, 3L);
        assertThat(client.gaps()).isEqualTo(1);
        assertThat(box.cursor()).isEqualTo(10);
    }

    @Test
    void sameConvSeqUnderANewCursorIsDroppedAsDuplicate() throws Exception {
        start(options());
        fake.next("hello");
        fake.push(FakeNode.welcome());
        fake.push(FakeNode.msg("g:1", 1, 1));
        fake.push(FakeNode.msg("g:1", 1, 2));
        fake.push(FakeNode.msg("g:1", 2, 3));
        await().atMost(Duration.ofSeconds(10)).until(() -> rec.messages.size() == 2);
        assertThat(rec.messages).extracting(ChatMessage::seq).containsExactly(1L, 2L);
        assertThat(client.duplicatesDropped()).isEqualTo(1);
    }

    @Test
    void close1012WaitsForTheRetryHintThenResendsTheOutboxWithTheSameIds() throws Exception {
        start(options().backoff(Duration.ofMillis(10), Duration.ofSeconds(5)));
        fake.next("hello");
        fake.push(FakeNode.welcome());
        await().atMost(Duration.ofSeconds(10)).until(() -> client.state() == ConnectionState.CONNECTED);
        String id = client.send("dm:alice:bob", "hi");
        assertThat(fake.next("send").path("id").asText()).isEqualTo(id);
        fake.closeSession(1012, "node restarting; retry-after-ms=700");
        await().atMost(Duration.ofSeconds(10)).until(() -> client.info().lastCloseCode() == 1012);
        // hinted delay = hint + up to one backoff base of jitter, never the exponential window
        assertThat(client.info().nextRetryMillis()).isBetween(700L, 710L);
        fake.next("hello");
        fake.push(FakeNode.welcome());
        JsonNode resent = fake.next("send");
        assertThat(resent.path("id").asText()).isEqualTo(id);
        fake.push("{\"t\":\"ack\",\"id\":\"" + id + "\",\"conv\":\"dm:alice:bob\",\"seq\":1,\"ts\":5}");
        await().atMost(Duration.ofSeconds(10)).until(() -> client.pendingCount() == 0);
        assertThat(rec.acks).extracting(SendAck::id).containsExactly(id);
        assertThat(client.connects()).isEqualTo(2);
    }

    @Test
    void close1012WithAnUnreadableHintFallsBackToTheBackoff() throws Exception {
        // A hint too long for a long is no hint (RetryHint.parse): the client reconnects on its own backoff.
        start(options().backoff(Duration.ofMillis(10), Duration.ofSeconds(5)));
        fake.next("hello");
        fake.push(FakeNode.welcome());
        await().atMost(Duration.ofSeconds(10)).until(() -> client.state() == ConnectionState.CONNECTED);
        fake.closeSession(1012, "node restarting; retry-after-ms=99999999999999999999");
        fake.next("hello");
        assertThat(client.info().lastCloseCode()).isEqualTo(1012);
        assertThat(client.info().nextRetryMillis()).isBetween(0L, 5000L);
    }

    @Test
    void silentPeerGetsAPingThenTheConnectionIsDroppedAndRedialled() throws Exception {
        start(options().ping(Duration.ofMillis(200), Duration.ofMillis(200)));
        fake.next("hello");
        fake.push(FakeNode.welcome());
        fake.next("ping"); // never answered
        fake.next("hello"); // the client gave up on the silent connection and said hello again
        assertThat(fake.sessions.get()).isEqualTo(2);
    }

    @Test
    void transientRefusalIsRetriedWithTheSameIdAndPermanentOneLeavesTheOutbox() throws Exception {
        start(options().retryRefusedSend(Duration.ofMillis(50)));
        fake.next("hello");
        fake.push(FakeNode.welcome());
        await().atMost(Duration.ofSeconds(10)).until(() -> client.state() == ConnectionState.CONNECTED);
        String a = client.send("dm:alice:bob", "x");
        assertThat(fake.next("send").path("id").asText()).isEqualTo(a);
        fake.push("{\"t\":\"error\",\"code\":\"store_unavailable\",\"message\":\"disk\",\"ref\":\"" + a + "\"}");
        assertThat(fake.next("send").path("id").asText()).isEqualTo(a);
        assertThat(client.pendingCount()).isEqualTo(1);
        String b = client.send("g:nope", "y");
        assertThat(fake.next("send").path("id").asText()).isEqualTo(b);
        fake.push("{\"t\":\"error\",\"code\":\"not_member\",\"message\":\"no\",\"ref\":\"" + b + "\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> rec.failed.size() == 1);
        assertThat(rec.failed).containsExactly(b + ":not_member");
        assertThat(client.pendingIds()).containsExactly(a);
    }

    @Test
    void badOptionsAreRejectedNamingTheValue() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ClientOptions.builder(fake.uri(), "a:b").build())
                .hasMessageContaining("user (a:b)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ClientOptions.builder(java.net.URI.create("ftp://x"), "a").build())
                .hasMessageContaining("ftp://x");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> options().backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)).build())
                .hasMessageContaining("backoffMax (PT1S)");
    }
}
