package io.stickyring.chat.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the store contract on SQLite, plus SQLite-specific checks (group commit, close). */
class SqliteMessageStoreTest extends MessageStoreContract {
    @TempDir
    Path dir;

    private final AtomicInteger commits = new AtomicInteger();
    private final AtomicInteger committedOps = new AtomicInteger();

    private SqliteMessageStore open() {
        return new SqliteMessageStore(SqliteMessageStore.Config.defaults(dir.resolve("chat.db")),
                java.time.Clock.systemUTC(), new StoreMetrics() {
                    @Override
                    public void committed(int batchSize, long nanos) {
                        commits.incrementAndGet();
                        committedOps.addAndGet(batchSize);
                    }
                });
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
    void concurrentSendsShareCommits() {
        store = open();
        String dm = Conversations.dmId("alice", "bob");
        List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            futures.add(store.append(new SendRequest("alice", UUID.randomUUID().toString(), dm, "m")));
        }
        futures.forEach(CompletableFuture::join);
        assertThat(committedOps.get()).isEqualTo(2000);
        // 2000 queued sends with maxBatch 512 must not take one commit each.
        assertThat(commits.get()).isLessThan(2000);
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
    void appendAfterCloseFailsRetryably() {
        store = open();
        store.close();
        assertThatThrownBy(() -> store.append(new SendRequest("alice", "x", Conversations.dmId("alice", "bob"), "b")).join())
                .cause().isInstanceOf(StoreUnavailableException.class);
    }

    @Test
    void configRejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> new SqliteMessageStore.Config(dir.resolve("x.db"), 0, 1, 1))
                .hasMessageContaining("maxBatch (0)");
    }
}
