package io.stickyring.chat.server;

import static io.stickyring.chat.server.WsClient.sendFrame;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.auth.TokenService;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.StoredMessage;
import io.stickyring.chat.store.MessageStore;
import io.stickyring.chat.store.SqliteMessageStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Acked means durable: kill -9 of a real node process right after acks loses none of them. */
@Timeout(180)
class DurabilityTest {
    @TempDir
    Path dir;
    static final String DM = Conversations.dmId("alice", "bob");
    static final TokenService TOKENS = new TokenService(TestNodes.SECRET, Duration.ofHours(1), Clock.systemUTC());

    static String ackKey(JsonNode ack) {
        return ack.get("conv").asText() + "/" + ack.get("seq").asLong() + "/" + ack.get("ts").asLong();
    }

    @Test
    void sigtermClosesSessionsWith1012AndARetryHintThenExits() throws Exception {
        Path db = dir.resolve("term.db");
        try (NodeProcess node = NodeProcess.start(db, "term", "--retry-hint-min", "200ms", "--retry-hint-max", "300ms")) {
            WsClient alice = WsClient.login(node.port, TOKENS, "alice", 0);
            alice.next("synced");
            alice.send(sendFrame("t1", DM, "before SIGTERM"));
            alice.next("ack");
            node.process.destroy(); // SIGTERM: the shutdown hook drains
            WsClient.Close close = alice.awaitClose();
            assertThat(close.code()).isEqualTo(1012);
            assertThat(Long.parseLong(close.reason().replaceAll(".*retry-after-ms=", ""))).isBetween(200L, 300L);
            assertThat(node.process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(node.process.exitValue()).isEqualTo(143);
        }
        try (MessageStore store = new SqliteMessageStore(SqliteMessageStore.Config.defaults(db))) {
            assertThat(store.history(DM, Long.MAX_VALUE, 10)).extracting(StoredMessage::id).containsExactly("t1");
        }
    }

    @Test
    void everyAckedMessageSurvivesKillDashNineAndResendsKeepTheOriginalAck() throws Exception {
        Path db = dir.resolve("chat.db");
        Map<String, String> acked = new HashMap<>();
        int total = 400;
        try (NodeProcess node = NodeProcess.start(db, "crashy")) {
            WsClient alice = WsClient.login(node.port, TOKENS, "alice", 0);
            alice.next("synced");
            for (int i = 0; i < total; i++) {
                alice.send(sendFrame("k" + i, DM, "body " + i));
            }
            // Kill the moment 100 acks are in, while the rest are still in flight.
            while (acked.size() < 100) {
                JsonNode n = alice.next();
                if (n.get("t").asText().equals("ack")) {
                    acked.put(n.get("id").asText(), ackKey(n));
                }
            }
            node.kill9();
            // Everything the node sent before it died: read up to the end of the connection.
            alice.awaitClose();
            for (JsonNode n : alice.received()) {
                if (n.get("t").asText().equals("ack")) {
                    acked.put(n.get("id").asText(), ackKey(n));
                }
            }
            alice.close();
        }
        assertThat(acked.size()).isGreaterThanOrEqualTo(100);

        try (NodeProcess node = NodeProcess.start(db, "crashy")) {
            WsClient bob = WsClient.login(node.port, TOKENS, "bob", 0);
            List<JsonNode> replay = bob.until("synced");
            Map<String, Long> seen = new HashMap<>();
            long expectCursor = 1;
            for (JsonNode m : replay) {
                if (m.get("t").asText().equals("msg")) {
                    assertThat(seen.put(m.get("id").asText(), m.get("seq").asLong())).as("duplicate delivery").isNull();
                    assertThat(m.get("cursor").asLong()).isEqualTo(expectCursor++);
                }
            }
            assertThat(seen.keySet()).containsAll(acked.keySet());
            for (Map.Entry<String, String> a : acked.entrySet()) {
                assertThat(DM + "/" + seen.get(a.getKey())).isEqualTo(a.getValue().substring(0, a.getValue().lastIndexOf('/')));
            }

            // The client retries everything it holds (acked or not): acked ones get their original ack back.
            WsClient alice = WsClient.login(node.port, TOKENS, "alice", 0);
            alice.until("synced");
            for (int i = 0; i < total; i++) {
                alice.send(sendFrame("k" + i, DM, "body " + i));
            }
            Map<String, String> second = new HashMap<>();
            while (second.size() < total) {
                JsonNode n = alice.next();
                if (n.get("t").asText().equals("ack")) {
                    second.put(n.get("id").asText(), ackKey(n));
                }
            }
            for (Map.Entry<String, String> a : acked.entrySet()) {
                assertThat(second.get(a.getKey())).as("ack of %s after restart", a.getKey()).isEqualTo(a.getValue());
            }
            // bob gets exactly the messages he had not seen, each once.
            Set<String> live = new HashSet<>(seen.keySet());
            while (live.size() < total) {
                JsonNode n = bob.next();
                if (n.get("t").asText().equals("msg")) {
                    assertThat(live.add(n.get("id").asText())).as("duplicate live delivery").isTrue();
                }
            }
            assertThat(bob.fence()).noneMatch(n -> n.get("t").asText().equals("msg"));
            alice.close();
            bob.close();
        }
        try (MessageStore store = new SqliteMessageStore(SqliteMessageStore.Config.defaults(db))) {
            List<StoredMessage> all = store.history(DM, Long.MAX_VALUE, 10_000);
            assertThat(all).hasSize(total);
            assertThat(all.stream().map(StoredMessage::id).distinct().count()).isEqualTo(total);
            List<InboxEntry> inbox = store.readInbox("bob", 0, 10_000);
            for (int i = 0; i < inbox.size(); i++) {
                assertThat(inbox.get(i).cursor()).isEqualTo(i + 1);
            }
        }
    }
}
