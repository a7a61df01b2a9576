package io.stickyring.chat.server;

import static io.stickyring.chat.server.WsClient.sendFrame;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.bus.LocalMessageBus;
import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.Conversation;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.store.ForwardingStore;
import io.stickyring.chat.store.MessageStore;
import io.stickyring.chat.store.SqliteMessageStore;
import io.stickyring.chat.store.StoreUnavailableException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A store that cannot commit never produces an ack: the client gets store_unavailable, keeps its session, and its retry succeeds once. */
@Timeout(60)
class StoreOutageTest {
    @TempDir
    Path dir;

    /** Delegates to SQLite; while {@code down}, every write fails as an unreachable database would. */
    static final class FlakyStore extends ForwardingStore {
        final AtomicBoolean down = new AtomicBoolean();

        FlakyStore(MessageStore real) {
            super(real);
        }

        private <T> CompletableFuture<T> unavailable() {
            return CompletableFuture.failedFuture(new StoreUnavailableException("injected outage", null));
        }

        @Override
        public CompletableFuture<AppendResult> append(SendRequest request) {
            return down.get() ? unavailable() : inner.append(request);
        }

        @Override
        public CompletableFuture<Conversation> createGroup(String creator, Set<String> members, String title) {
            return down.get() ? unavailable() : inner.createGroup(creator, members, title);
        }

        @Override
        public CompletableFuture<Long> markRead(String conv, String user, long seq) {
            return down.get() ? unavailable() : inner.markRead(conv, user, seq);
        }
    }

    @Test
    void outageGivesARetryableErrorNeverAnAckAndTheRetrySucceedsOnce() throws Exception {
        FlakyStore store = new FlakyStore(new SqliteMessageStore(SqliteMessageStore.Config.defaults(dir.resolve("chat.db"))));
        String dm = Conversations.dmId("alice", "bob");
        try (ChatNode node = ChatNode.start(TestNodes.config(dir, "n1").build(), store, new LocalMessageBus());
             WsClient alice = WsClient.login(node, "alice", 0);
             WsClient bob = WsClient.login(node, "bob", 0)) {
            alice.next("synced");
            bob.next("synced");
            store.down.set(true);
            alice.send(sendFrame("o1", dm, "during outage"));
            JsonNode e = alice.next("error");
            assertThat(e.get("code").asText()).isEqualTo("store_unavailable");
            assertThat(e.get("ref").asText()).isEqualTo("o1");
            assertThat(e.get("message").asText()).contains("retry with the same id");
            assertThat(alice.isOpen()).isTrue();
            assertThat(bob.fence()).as("nothing delivered for a failed append").isEmpty();

            store.down.set(false);
            alice.send(sendFrame("o1", dm, "during outage"));
            assertThat(alice.next("ack").get("seq").asLong()).isEqualTo(1);
            assertThat(bob.next("msg").get("id").asText()).isEqualTo("o1");
            assertThat(store.history(dm, Long.MAX_VALUE, 10)).hasSize(1);
        }
    }
}
