package io.stickyring.chat.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stickyring.chat.model.Ack;
import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.Conversation;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.model.StoredMessage;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Runs the store contract on PostgreSQL (one fresh schema per test, dropped after), plus what is
 * specific to a store shared by several nodes: concurrent writers on one schema keep seq and
 * cursors dense, a resend through another instance gets the original ack, migrations are versioned
 * and run once, and the spec's parameters are validated.
 */
class PostgresMessageStoreTest extends MessageStoreContract {
    private final List<String> schemas = new ArrayList<>();
    private final List<MessageStore> extra = new ArrayList<>();
    private String schema;

    private PostgresMessageStore open(String s) {
        return new PostgresMessageStore(PostgresTestSchemas.config(s, ""), Clock.systemUTC(), countingMetrics);
    }

    @Override
    protected MessageStore openFresh() {
        schema = PostgresTestSchemas.newSchema();
        schemas.add(schema);
        return open(schema);
    }

    @Override
    protected MessageStore reopen() {
        store.close();
        return open(schema);
    }

    @AfterEach
    void dropSchemas() {
        for (MessageStore s : extra) {
            s.close();
        }
        if (store != null) {
            store.close();
        }
        schemas.forEach(PostgresTestSchemas::drop);
    }

    private MessageStore another() {
        MessageStore s = open(schema);
        extra.add(s);
        return s;
    }

    @Test
    void threeInstancesOnOneSchemaKeepSeqAndCursorsDense() {
        store = openFresh();
        List<MessageStore> nodes = List.of(store, another(), another());
        Conversation g = store.createGroup("alice", Set.of("bob", "carol"), "g").join();
        List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
        String[] users = {"alice", "bob", "carol"};
        for (int i = 0; i < 900; i++) {
            MessageStore node = nodes.get(i % 3);
            String from = users[(i / 3) % 3];
            // Group and direct conversations interleave, so user rows are locked by overlapping batches.
            String conv = i % 2 == 0 ? g.id() : Conversations.dmId(from, users[(i / 3 + 1) % 3]);
            futures.add(node.append(new SendRequest(from, UUID.randomUUID().toString(), conv, "m" + i)));
        }
        futures.forEach(CompletableFuture::join);
        assertThat(store.history(g.id(), Long.MAX_VALUE, 10_000)).extracting(StoredMessage::seq)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 450).mapToObj(i -> (long) i).toList());
        for (String u : users) {
            List<InboxEntry> inbox = store.readInbox(u, 0, 10_000);
            assertThat(inbox).extracting(InboxEntry::cursor)
                    .containsExactlyElementsOf(LongStreamRange.of(1, inbox.size()));
            assertThat(store.inboxHead(u)).isEqualTo(inbox.size());
            // Within one conversation, inbox order is seq order (the conversation lock is taken first).
            long lastGroupSeq = 0;
            for (InboxEntry e : inbox) {
                if (e.message().conv().equals(g.id())) {
                    assertThat(e.message().seq()).isGreaterThan(lastGroupSeq);
                    lastGroupSeq = e.message().seq();
                }
            }
        }
        assertThat(store.readInbox("alice", 0, 10_000)).hasSize(450 + 300);
    }

    @Test
    void aBatchOfNewAppendsIsOneAutocommitStatementAndAResendFallsBackToTheLookup() {
        PostgresMessageStore pg = open(PostgresTestSchemas.newSchema());
        schemas.add(pg.config().schema());
        extra.add(pg);
        String dm = Conversations.dmId("alice", "bob");
        List<AppendResult> firsts = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            firsts.add(pg.append(new SendRequest(i % 2 == 0 ? "alice" : "bob", "one-" + i, dm, "m" + i)).join());
        }
        assertThat(pg.oneStatementBatches).isEqualTo(5);
        assertThat(pg.transactionBatches).isZero();
        assertThat(firsts).extracting(r -> r.ack().seq()).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(firsts.get(4).cursors()).containsEntry("alice", 5L).containsEntry("bob", 5L);
        // A resend fails the optimistic statement as a whole (unique violation, nothing stored) and
        // is answered by the transaction that looks it up.
        AppendResult again = pg.append(new SendRequest("bob", "one-3", dm, "m3")).join();
        assertThat(again.duplicate()).isTrue();
        assertThat(again.ack()).isEqualTo(firsts.get(2).ack());
        assertThat(pg.transactionBatches).isEqualTo(1);
        AppendResult sixth = pg.append(new SendRequest("alice", "one-6", dm, "m6")).join();
        assertThat(sixth.ack().seq()).isEqualTo(6);
        assertThat(pg.readInbox("bob", 0, 100)).extracting(InboxEntry::cursor).containsExactlyElementsOf(LongStreamRange.of(1, 6));
        assertThat(pg.history(dm, Long.MAX_VALUE, 100)).extracting(StoredMessage::id)
                .containsExactly("one-1", "one-2", "one-3", "one-4", "one-5", "one-6");
    }

    @Test
    void historyPagesReadTheReplicaAndThePrimaryWhenTheReplicaIsGone() throws Exception {
        // The "replica" is the same server reached through a proxy the test can cut.
        java.net.URI base = java.net.URI.create(PostgresTestSchemas.BASE.replace("postgresql://", "http://"));
        try (io.stickyring.chat.server.TcpProxy proxy = io.stickyring.chat.server.TcpProxy.start(base.getHost(), base.getPort())) {
            String s = PostgresTestSchemas.newSchema();
            schemas.add(s);
            PostgresMessageStore pg = new PostgresMessageStore(PostgresTestSchemas.config(s,
                    "connectTimeout=1s&replica=127.0.0.1:" + proxy.port), Clock.systemUTC(), countingMetrics);
            extra.add(pg);
            String dm = Conversations.dmId("alice", "bob");
            for (int i = 1; i <= 3; i++) {
                pg.append(new SendRequest("alice", "r-" + i, dm, "m" + i)).join();
            }
            assertThat(pg.history(dm, Long.MAX_VALUE, 10)).extracting(StoredMessage::seq).containsExactly(1L, 2L, 3L);
            assertThat(pg.replicaReads.get()).isEqualTo(1);
            // Inbox reads never go to the replica (delivery needs the committed state).
            assertThat(pg.readInbox("bob", 0, 10)).hasSize(3);
            assertThat(pg.replicaReads.get()).isEqualTo(1);
            proxy.cut();
            assertThat(pg.history(dm, Long.MAX_VALUE, 10)).extracting(StoredMessage::seq).containsExactly(1L, 2L, 3L);
            assertThat(pg.replicaFallbacks.get()).isEqualTo(1);
            assertThat(pg.replicaReads.get()).isEqualTo(1);
        }
    }

    @Test
    void replicaSpecIsParsedAndCheckedNamingTheValue() {
        assertThat(PostgresConfig.parse("postgresql://u@db1:5432/chat?replica=db2:5433,db3", 1).replicaJdbcUrl())
                .isEqualTo("jdbc:postgresql://db2:5433,db3/chat");
        assertThat(PostgresConfig.parse("postgresql://u@db1/chat", 1).replicaJdbcUrl()).isNull();
        assertThatThrownBy(() -> PostgresConfig.parse("postgresql://h/d?replica=a b", 1)).hasMessageContaining("replica (a b)");
    }

    @Test
    void resendThroughAnotherInstanceGetsTheOriginalAck() {
        store = openFresh();
        MessageStore other = another();
        String dm = Conversations.dmId("alice", "bob");
        AppendResult first = store.append(new SendRequest("alice", "same-id", dm, "x")).join();
        AppendResult again = other.append(new SendRequest("alice", "same-id", dm, "x")).join();
        assertThat(again.duplicate()).isTrue();
        assertThat(again.ack()).isEqualTo(first.ack());
    }

    @Test
    void concurrentResendsOfOneIdThroughThreeInstancesStoreOneMessage() {
        store = openFresh();
        List<MessageStore> nodes = List.of(store, another(), another());
        String dm = Conversations.dmId("alice", "bob");
        for (int round = 0; round < 20; round++) {
            String id = "race-" + round;
            List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
            for (MessageStore n : nodes) {
                for (int k = 0; k < 3; k++) {
                    futures.add(n.append(new SendRequest("alice", id, dm, "x")));
                }
            }
            Set<Ack> acks = new HashSet<>();
            futures.forEach(f -> acks.add(f.join().ack()));
            assertThat(acks).as("round %d", round).hasSize(1);
            assertThat(futures.stream().filter(f -> !f.join().duplicate()).count()).isEqualTo(1);
        }
        assertThat(store.history(dm, Long.MAX_VALUE, 100)).hasSize(20);
        assertThat(store.readInbox("bob", 0, 100)).extracting(InboxEntry::cursor)
                .containsExactlyElementsOf(LongStreamRange.of(1, 20));
    }

    @Test
    void migrationsAreVersionedAndRunOnce() throws Exception {
        store = openFresh();
        store.close();
        store = open(schema);
        try (Connection c = PostgresTestSchemas.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT version FROM " + schema + ".schema_migrations ORDER BY version")) {
            List<Integer> versions = new ArrayList<>();
            while (rs.next()) {
                versions.add(rs.getInt(1));
            }
            assertThat(versions).containsExactlyElementsOf(
                    PostgresMigrations.ALL.stream().map(PostgresMigrations.Migration::version).toList());
        }
        // A schema left at version 1 (an older release) is brought forward, keeping its data.
        String old = PostgresTestSchemas.newSchema();
        schemas.add(old);
        try (Connection c = PostgresTestSchemas.connect()) {
            assertThat(PostgresMigrations.migrate(c, old, PostgresMigrations.ALL.subList(0, 1))).isZero();
            try (Statement st = c.createStatement()) {
                st.execute("INSERT INTO " + old + ".inbox_heads VALUES ('alice', 0)");
            }
        }
        try (PostgresMessageStore upgraded = open(old)) {
            assertThat(upgraded.markRead(Conversations.dmId("alice", "bob"), "alice", 4).join()).isEqualTo(4);
        }
    }

    @Test
    void storeDownAtStartFailsWithTheAddress() {
        PostgresConfig bad = PostgresConfig.parse("postgresql://postgres@127.0.0.1:1/test?connectTimeout=500ms", 1);
        assertThatThrownBy(() -> new PostgresMessageStore(bad)).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("127.0.0.1:1");
    }

    @Test
    void specParametersAreParsedAndBadOnesNamed() {
        PostgresConfig c = PostgresConfig.parse("postgresql://u:p%40ss@db1:5433,db2/chat?schema=s1&pool=4&connectTimeout=2s"
                + "&socketTimeout=10s&statementTimeout=250ms&maxBatch=64&retries=2", 512);
        assertThat(c.jdbcUrl()).isEqualTo("jdbc:postgresql://db1:5433,db2/chat");
        assertThat(c.user()).isEqualTo("u");
        assertThat(c.password()).isEqualTo("p@ss");
        assertThat(c.schema()).isEqualTo("s1");
        assertThat(c.poolSize()).isEqualTo(4);
        assertThat(c.maxBatch()).isEqualTo(64);
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.statementTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.retries()).isEqualTo(2);
        assertThat(c.toString()).doesNotContain("p@ss");
        assertThat(PostgresConfig.parse("postgresql://h/d", 7).maxBatch()).isEqualTo(7);
        assertThatThrownBy(() -> PostgresConfig.parse("postgresql://h/d?pool=1", 1)).hasMessageContaining("pool (1)");
        assertThatThrownBy(() -> PostgresConfig.parse("postgresql://h/d?schema=Bad-Name", 1)).hasMessageContaining("Bad-Name");
        assertThatThrownBy(() -> PostgresConfig.parse("postgresql://h/d?colour=red", 1)).hasMessageContaining("'colour'");
        assertThatThrownBy(() -> PostgresConfig.parse("postgresql://h/d?connectTimeout=soon", 1)).hasMessageContaining("soon");
        assertThatThrownBy(() -> PostgresConfig.parse("postgresql://h", 1)).hasMessageContaining("/DATABASE");
        assertThatThrownBy(() -> MessageStores.open("postgresql://u:secret@h/d?nope=1", 1, StoreMetrics.NOOP))
                .hasMessageContaining("nope").hasMessageNotContaining("secret");
    }

    /** 1..n as a list of longs. */
    static final class LongStreamRange {
        static List<Long> of(long from, long to) {
            List<Long> out = new ArrayList<>();
            for (long i = from; i <= to; i++) {
                out.add(i);
            }
            return out;
        }
    }
}
