package io.stickyring.chat.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.model.StoredMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the store contract on SQLite, plus SQLite-specific checks (checkpoints, rollback, shared file). */
class SqliteMessageStoreTest extends MessageStoreContract {
    @TempDir
    Path dir;

    private SqliteMessageStore open() {
        return new SqliteMessageStore(SqliteMessageStore.Config.defaults(dir.resolve("chat.db")),
                java.time.Clock.systemUTC(), countingMetrics);
    }

    @Override
    protected MessageStore openFresh() {
        return open();
    }

    @Override
    protected MessageStore reopen() {
        store.close();
        return open();
    }

    @Test
    void backgroundCheckpointsMoveTheWalIntoTheDatabase() throws Exception {
        store = open();
        String dm = Conversations.dmId("alice", "bob");
        List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            futures.add(store.append(new SendRequest("alice", UUID.randomUUID().toString(), dm, "x".repeat(200))));
        }
        futures.forEach(CompletableFuture::join);
        // Auto-checkpoint is off on the writer, so only the checkpoint thread can grow the main file.
        java.nio.file.Path db = dir.resolve("chat.db");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> java.nio.file.Files.size(db) > 400_000);
    }

    @Test
    void aFailedCommitRollsBackTheWholeBatchAndCountersRecover() throws Exception {
        store = open();
        String dm = Conversations.dmId("alice", "bob");
        join(store.append(new SendRequest("alice", "first", dm, "ok")));
        // A trigger makes any insert of body 'poison' fail inside the batch transaction.
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("chat.db"));
             var st = c.createStatement()) {
            st.execute("PRAGMA busy_timeout=5000");
            st.execute("CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.body = 'poison'"
                    + " BEGIN SELECT RAISE(ABORT, 'poisoned'); END");
        }
        List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
        List<SendRequest> reqs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            SendRequest r = new SendRequest(i % 2 == 0 ? "alice" : "bob", "m" + i, dm, i == 100 ? "poison" : "fine");
            reqs.add(r);
            futures.add(store.append(r));
        }
        int failed = 0;
        for (CompletableFuture<AppendResult> f : futures) {
            try {
                f.join();
            } catch (java.util.concurrent.CompletionException e) {
                assertThat(e.getCause()).isInstanceOf(StoreUnavailableException.class);
                failed++;
            }
        }
        assertThat(failed).as("at least the poisoned send fails").isPositive();
        assertThatThrownBy(() -> futures.get(100).join()).cause().isInstanceOf(StoreUnavailableException.class);
        // Retry everything except the poison (clients retry with the same ids): all stored once, dense.
        for (int i = 0; i < 200; i++) {
            if (i != 100) {
                join(store.append(reqs.get(i)));
            }
        }
        List<StoredMessage> all = store.history(dm, Long.MAX_VALUE, 1000);
        assertThat(all).hasSize(200);
        for (int i = 0; i < all.size(); i++) {
            assertThat(all.get(i).seq()).isEqualTo(i + 1);
        }
        List<InboxEntry> inbox = store.readInbox("bob", 0, 1000);
        assertThat(inbox).hasSize(200);
        for (int i = 0; i < inbox.size(); i++) {
            assertThat(inbox.get(i).cursor()).isEqualTo(i + 1);
        }
    }

    @Test
    void twoStoresOnOneFileInterleaveSafely() throws Exception {
        // Two instances = two writers with separate caches, as two node processes sharing the file.
        store = open();
        try (SqliteMessageStore other = new SqliteMessageStore(SqliteMessageStore.Config.defaults(dir.resolve("chat.db")))) {
            String dm = Conversations.dmId("alice", "bob");
            List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                MessageStore s = i % 3 == 0 ? other : store;
                futures.add(s.append(new SendRequest(i % 2 == 0 ? "alice" : "bob", "x" + i, dm, "b" + i)));
                if (i % 50 == 49) {
                    futures.forEach(CompletableFuture::join);
                }
            }
            futures.forEach(CompletableFuture::join);
            // A resend through the other instance still gets the original ack.
            AppendResult first = join(store.append(new SendRequest("alice", "x0", dm, "b0")));
            assertThat(join(other.append(new SendRequest("alice", "x0", dm, "b0"))).ack()).isEqualTo(first.ack());
            List<StoredMessage> all = store.history(dm, Long.MAX_VALUE, 1000);
            assertThat(all).hasSize(400);
            for (int i = 0; i < all.size(); i++) {
                assertThat(all.get(i).seq()).isEqualTo(i + 1);
            }
            List<InboxEntry> inbox = other.readInbox("alice", 0, 1000);
            for (int i = 0; i < inbox.size(); i++) {
                assertThat(inbox.get(i).cursor()).isEqualTo(i + 1);
            }
            assertThat(inbox).hasSize(400);
        }
    }

    @Test
    void walAndFullSyncAreOn() throws Exception {
        store = open();
        store.close();
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("chat.db"));
             var st = c.createStatement();
             var rs = st.executeQuery("PRAGMA journal_mode")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
        }
        store = null;
    }

    @Test
    void configRejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> new SqliteMessageStore.Config(dir.resolve("x.db"), 0, 1, 1))
                .hasMessageContaining("maxBatch (0)");
    }
}
