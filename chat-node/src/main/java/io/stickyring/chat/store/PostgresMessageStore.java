package io.stickyring.chat.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.AppendRules;
import io.stickyring.chat.model.Conversation;
import io.stickyring.chat.model.RejectedException;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.model.StoredMessage;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster {@link MessageStore}: PostgreSQL through a HikariCP pool, shared by every chat node.
 * Same contract as {@link SqliteMessageStore}; what changes is that several nodes write at once.
 *
 * <p>Group commit: each node queues its writes and one writer thread runs up to {@code maxBatch} of
 * them in one transaction (one WAL flush), completing the futures only after {@code COMMIT}
 * returned. A failed or ambiguous commit (connection lost during COMMIT) fails every write of the
 * batch with {@link StoreUnavailableException}: never a false ack; the client's retry with the
 * same id then finds the message if it did commit.
 *
 * <p>Counters across nodes: a conversation's last seq is {@code conversations.head} and a user's
 * last inbox cursor is {@code inbox_heads.head}. A batch increments each head it needs once, with
 * an upsert that locks the row until commit, so concurrent writers on other nodes queue behind it
 * and seq and cursors stay dense. Locks are always taken in one global order (conversation rows by
 * id, then user rows by id), so two batches cannot deadlock on counters; the remaining rare
 * conflicts (the same client id sent concurrently through two nodes: unique violation, deadlock
 * detected on the unique index) roll the whole batch back and retry it, and the retry sees the
 * committed original and answers with its ack.
 */
public final class PostgresMessageStore extends JdbcMessageStore<PostgresMessageStore.Op<?>> {
    private static final Logger log = LoggerFactory.getLogger(PostgresMessageStore.class);

    private final PostgresConfig config;
    private final Clock clock;
    private final StoreMetrics metrics;
    /** The writer thread's own connection (a pool of one, so a lost connection is replaced). */
    private final HikariDataSource writerDs;
    /** Readers never compete with the writer for a connection. */
    private final HikariDataSource ds;
    /** History pages' pool on the read replica ({@code replica=}), or null. */
    private final HikariDataSource replicaDs;
    /** History pages served by the replica / by the primary after the replica failed (tests read them). */
    final java.util.concurrent.atomic.AtomicLong replicaReads = new java.util.concurrent.atomic.AtomicLong();
    final java.util.concurrent.atomic.AtomicLong replicaFallbacks = new java.util.concurrent.atomic.AtomicLong();
    /** Batches committed as one autocommit statement / in an explicit transaction (written by the writer thread). */
    volatile long oneStatementBatches;
    volatile long transactionBatches;

    public PostgresMessageStore(PostgresConfig config, Clock clock, StoreMetrics metrics) {
        super(config.maxBatch(), config.maxGroupMembers(), TimeUnit.SECONDS.toMillis(60), "user_id");
        this.config = config;
        this.clock = clock;
        this.metrics = metrics;
        try {
            this.writerDs = new HikariDataSource(hikari(config, "writer", 1));
        } catch (RuntimeException e) {
            throw new StoreUnavailableException("cannot connect to PostgreSQL at " + config.jdbcUrl() + ": " + rootMessage(e), e);
        }
        try (Connection c = writerDs.getConnection()) {
            PostgresMigrations.migrate(c, config.schema());
            warnIfNotDurable(c);
        } catch (SQLException e) {
            writerDs.close();
            throw new StoreUnavailableException("cannot prepare schema " + config.schema() + " at " + config.jdbcUrl()
                    + ": " + e.getMessage(), e);
        }
        try {
            this.ds = new HikariDataSource(hikari(config, "readers", config.poolSize() - 1));
        } catch (RuntimeException e) {
            writerDs.close();
            throw new StoreUnavailableException("cannot connect to PostgreSQL at " + config.jdbcUrl() + ": " + rootMessage(e), e);
        }
        this.replicaDs = config.replicaJdbcUrl() == null ? null : replicaPool(config);
        startWriter("pg-writer-" + config.schema());
    }

    /**
     * The replica's pool: read-only, as many connections as the readers, and it starts even while
     * the replica is down (initializationFailTimeout -1): the primary answers meanwhile.
     */
    private static HikariDataSource replicaPool(PostgresConfig config) {
        HikariConfig hc = hikari(config, "replica", config.poolSize() - 1);
        hc.setJdbcUrl(config.replicaJdbcUrl());
        hc.setReadOnly(true);
        hc.setInitializationFailTimeout(-1);
        return new HikariDataSource(hc);
    }

    private static HikariConfig hikari(PostgresConfig config, String role, int size) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(config.jdbcUrl());
        hc.setUsername(config.user());
        if (config.password() != null) {
            hc.setPassword(config.password());
        }
        hc.setPoolName("chat-pg-" + role + "-" + config.schema());
        hc.setMaximumPoolSize(size);
        hc.setMinimumIdle(Math.min(2, size));
        hc.setConnectionTimeout(config.connectTimeout().toMillis());
        hc.setValidationTimeout(Math.min(config.connectTimeout().toMillis(), 5000));
        hc.setSchema(config.schema());
        long connectSeconds = Math.max(1, (config.connectTimeout().toMillis() + 999) / 1000);
        hc.addDataSourceProperty("connectTimeout", String.valueOf(connectSeconds));
        hc.addDataSourceProperty("socketTimeout", String.valueOf(Math.max(1, config.socketTimeout().toSeconds())));
        hc.addDataSourceProperty("tcpKeepAlive", "true");
        // Named per schema so pg_stat_activity tells one cluster's writers from another's (bench/cluster/run.sh samples it).
        hc.addDataSourceProperty("ApplicationName", "stickyring-chat-" + role + "-" + config.schema());
        hc.addDataSourceProperty("options", "-c statement_timeout=" + config.statementTimeout().toMillis());
        return hc;
    }

    public PostgresMessageStore(PostgresConfig config) {
        this(config, Clock.systemUTC(), StoreMetrics.NOOP);
    }

    public PostgresConfig config() {
        return config;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    /** "Acked means durable" holds only with fsync on and synchronous commits: say so loudly if not. */
    private static void warnIfNotDurable(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String setting : List.of("fsync", "synchronous_commit")) {
                try (ResultSet rs = st.executeQuery("SHOW " + setting)) {
                    rs.next();
                    String v = rs.getString(1);
                    if (v.equals("off")) {
                        log.warn("PostgreSQL {} = off: acknowledged messages can be lost in a server crash", setting);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- writes (queued, group commit)

    /** A queued write of this store: an append, a group creation or a read mark. */
    abstract static class Op<T> extends JdbcMessageStore.Op<T> {
    }

    private static final class AppendOp extends Op<AppendResult> {
        final SendRequest req;
        /** What the append rules decided for it in the current attempt. */
        AppendRules.Send send;

        AppendOp(SendRequest req) {
            this.req = req;
        }

        @Override
        void reset() {
            super.reset();
            send = null;
        }
    }

    private static final class GroupOp extends Op<Conversation> {
        final Conversation conv;
        final String creator;

        GroupOp(Conversation conv, String creator) {
            this.conv = conv;
            this.creator = creator;
        }
    }

    private static final class LeaveOp extends Op<Conversation> {
        final String conv;
        final String user;

        LeaveOp(String conv, String user) {
            this.conv = conv;
            this.user = user;
        }
    }

    private static final class ReadOp extends Op<Long> {
        final String conv;
        final String user;
        final long seq;

        ReadOp(String conv, String user, long seq) {
            this.conv = conv;
            this.user = user;
            this.seq = seq;
        }
    }

    @Override
    public CompletableFuture<AppendResult> append(SendRequest request) {
        return enqueue(new AppendOp(request)).future;
    }

    @Override
    protected CompletableFuture<Conversation> enqueueGroup(Conversation conv, String creator) {
        return enqueue(new GroupOp(conv, creator)).future;
    }

    @Override
    protected CompletableFuture<Conversation> enqueueLeave(String conv, String user) {
        return enqueue(new LeaveOp(conv, user)).future;
    }

    @Override
    public CompletableFuture<Long> markRead(String conv, String user, long seq) {
        return enqueue(new ReadOp(conv, user, seq)).future;
    }

    @Override
    protected void runBatch(List<Op<?>> ops) {
        long start = System.nanoTime();
        Exception failure = null;
        // First try without looking up resends: a batch of appends only runs as ONE statement in
        // autocommit (one round trip, the commit included). If the insert meets an existing
        // (sender, client id) the statement fails as a whole (unique violation, nothing stored) and
        // the batch is redone in a transaction with the lookup first.
        boolean checkResends = false;
        boolean appendsOnly = ops.stream().allMatch(op -> op instanceof AppendOp);
        for (int attempt = 0; attempt <= config.retries(); attempt++) {
            Map<String, Conversation> newGroups = new HashMap<>();
            boolean oneStatement = appendsOnly && !checkResends;
            try (Connection c = writerDs.getConnection()) {
                try {
                    c.setAutoCommit(oneStatement);
                    for (Op<?> op : ops) {
                        op.reset();
                    }
                    apply(c, ops, newGroups, checkResends);
                    if (!oneStatement) {
                        c.commit();
                    }
                } catch (SQLException | RuntimeException e) {
                    if (!oneStatement) {
                        try {
                            c.rollback();
                        } catch (SQLException re) {
                            e.addSuppressed(re);
                        }
                    }
                    throw e;
                }
                groupCache.putAll(newGroups);
                if (oneStatement) {
                    oneStatementBatches++;
                } else {
                    transactionBatches++;
                }
                metrics.committed(ops.size(), System.nanoTime() - start);
                for (Op<?> op : ops) {
                    op.complete();
                }
                return;
            } catch (SQLException e) {
                failure = e;
                if (!checkResends && UNIQUE_VIOLATION.equals(e.getSQLState())) {
                    // A resend of a stored message (or the same id committed meanwhile through another
                    // node): redo the batch with the lookup, which answers it with the original ack.
                    checkResends = true;
                    attempt--;
                    continue;
                }
                if (!retryable(e) || attempt == config.retries()) {
                    break;
                }
                log.debug("pg batch of {} conflicted ({}), retrying", ops.size(), e.getSQLState());
            } catch (RuntimeException e) {
                failure = e;
                break;
            }
        }
        log.warn("pg batch of {} failed, nothing acknowledged: {}", ops.size(), String.valueOf(failure));
        failAll(ops, new StoreUnavailableException("commit failed: " + failure.getMessage(), failure));
    }

    private static final String UNIQUE_VIOLATION = "23505";

    /** Deadlock, serialization failure, unique violation: a concurrent writer won; the retry sees its commit. */
    private static boolean retryable(SQLException e) {
        String state = e.getSQLState();
        return "40P01".equals(state) || "40001".equals(state) || UNIQUE_VIOLATION.equals(state);
    }

    private void apply(Connection c, List<Op<?>> ops, Map<String, Conversation> newGroups, boolean checkResends)
            throws SQLException {
        List<AppendOp> appends = new ArrayList<>();
        for (Op<?> op : ops) {
            if (op instanceof GroupOp g) {
                insertGroup(c, g);
                newGroups.put(g.conv.id(), g.conv);
                g.result = g.conv;
            } else if (op instanceof LeaveOp l) {
                applyLeave(c, l, newGroups);
            } else if (op instanceof AppendOp a) {
                appends.add(a);
            }
        }
        if (!appends.isEmpty()) {
            applyAppends(c, appends, newGroups, checkResends);
        }
        for (Op<?> op : ops) {
            if (op instanceof ReadOp r) {
                applyRead(c, r, newGroups);
            }
        }
    }

    private void insertGroup(Connection c, GroupOp g) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO conversations (id, kind, title, created_by, created_at, head) VALUES (?, 'GROUP', ?, ?, ?, 0)")) {
            ps.setString(1, g.conv.id());
            ps.setString(2, g.conv.title());
            ps.setString(3, g.creator);
            ps.setLong(4, clock.millis());
            ps.executeUpdate();
        }
        insertMembers(c, g.conv.id(), g.conv.members());
    }

    private static void insertMembers(Connection c, String conv, List<String> users) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO members (conv, user_id) SELECT ?, u FROM unnest(?::text[]) AS t(u) ON CONFLICT DO NOTHING")) {
            ps.setString(1, conv);
            ps.setArray(2, c.createArrayOf("text", users.toArray()));
            ps.executeUpdate();
        }
    }

    private void applyAppends(Connection c, List<AppendOp> appends, Map<String, Conversation> newGroups,
                              boolean checkResends) throws SQLException {
        // 1. Resends of already committed messages (skipped on the optimistic first try).
        Map<String, StoredMessage> stored = new HashMap<>();
        if (checkResends) try (PreparedStatement ps = c.prepareStatement(
                "SELECT m.sender, m.client_id, m.conv, m.seq, m.body, m.ts FROM messages m"
                        + " JOIN unnest(?::text[], ?::text[]) AS k(sender, client_id)"
                        + " ON m.sender = k.sender AND m.client_id = k.client_id")) {
            ps.setArray(1, textArray(c, appends.stream().map(a -> a.req.sender()).toList()));
            ps.setArray(2, textArray(c, appends.stream().map(a -> a.req.clientId()).toList()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    StoredMessage m = new StoredMessage(rs.getString(3), rs.getLong(4), rs.getString(2), rs.getString(1),
                            rs.getString(5), rs.getLong(6));
                    stored.put(key(m.from(), m.id()), m);
                }
            }
        }
        // 2. The append rules decide each send, in queue order; one statement stores the fresh ones.
        AppendRules rules = new AppendRules();
        AppendRules.Lookup<SQLException> lookup = new AppendRules.Lookup<>() {
            @Override
            public Optional<StoredMessage> committed(String sender, String clientId) {
                return Optional.ofNullable(stored.get(key(sender, clientId)));
            }

            @Override
            public Optional<Conversation> conversation(String id) throws SQLException {
                Conversation changed = newGroups.get(id);
                return changed != null ? Optional.of(changed) : conversationOn(c, id);
            }
        };
        for (AppendOp a : appends) {
            a.send = rules.decide(a.req, lookup);
            a.rejection = a.send.rejection().orElse(null);
        }
        List<AppendRules.Send> fresh = rules.fresh();
        if (!fresh.isEmpty()) {
            storeFresh(c, rules, fresh);
        }
        for (AppendOp a : appends) {
            if (a.send.duplicate()) {
                metrics.dedupHit();
                a.result = a.send.result();
            } else if (a.send.fresh()) {
                a.result = a.send.result();
            }
        }
    }

    /**
     * The one statement that stores a batch's new messages. Its data-modifying CTEs: {@code c} locks
     * and advances the conversation heads (in id order), {@code mem} adds the members of direct
     * conversations seen for the first time, {@code m} inserts the messages numbered from the heads
     * just locked, {@code h} locks and advances the users' inbox heads (in id order) and {@code i}
     * inserts the inbox entries numbered from them. Each row's number is {@code head - back}, where
     * {@code back} counts the later rows of the same counter in this batch, so numbers follow queue
     * order. {@code h} reads {@code (SELECT count(*) FROM c)} first, which runs {@code c} to the end
     * before the first user row is locked: conversation rows are always locked before user rows,
     * so batches of two nodes cannot deadlock on counters and a user's inbox order agrees with seq
     * order within each conversation. The messages insert has no ON CONFLICT: a stored
     * {@code (sender, client id)} fails the whole statement (nothing of it stays) with a unique
     * violation. Run in autocommit it is the whole transaction: one round trip, commit included.
     *
     * <p>Worked example: a batch holds a1, b1, a2 (conversation a twice). {@code c} moves a's head
     * from 4 to 6 and b's from 0 to 1; a1 has back 1 (seq 5), a2 back 0 (seq 6), b1 back 0 (seq 1).
     */
    static final String STORE_FRESH_SQL =
            "WITH c AS (INSERT INTO conversations AS c (id, kind, title, created_by, created_at, head)"
                    + " SELECT t.id, t.kind, '', t.created_by, ?, t.n"
                    + " FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[]) AS t(id, kind, created_by, n) ORDER BY t.id"
                    + " ON CONFLICT (id) DO UPDATE SET head = c.head + EXCLUDED.head"
                    + " RETURNING c.id, c.head, c.kind, (c.xmax = 0) AS inserted),"
                    // Direct ids are dm:<a>:<b> and user ids never contain ':'.
                    + " mem AS (INSERT INTO members (conv, user_id)"
                    + " SELECT c.id, u FROM c, unnest(string_to_array(substr(c.id, 4), ':')) AS u"
                    + " WHERE c.inserted AND c.kind = 'DIRECT' ON CONFLICT DO NOTHING),"
                    + " m AS (INSERT INTO messages (conv, seq, sender, client_id, body, ts)"
                    + " SELECT x.conv, c.head - x.back, x.sender, x.client_id, x.body, ?"
                    + " FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[]) AS x(conv, back, sender, client_id, body)"
                    + " JOIN c ON c.id = x.conv),"
                    + " h AS (INSERT INTO inbox_heads AS h (user_id, head)"
                    + " SELECT t.u, t.n FROM unnest(?::text[], ?::bigint[]) AS t(u, n)"
                    + " WHERE (SELECT count(*) FROM c) >= 0 ORDER BY t.u"
                    + " ON CONFLICT (user_id) DO UPDATE SET head = h.head + EXCLUDED.head"
                    + " RETURNING h.user_id, h.head),"
                    + " i AS (INSERT INTO inbox (user_id, cursor, conv, seq)"
                    + " SELECT e.u, h.head - e.back, e.conv, c.head - e.mback"
                    + " FROM unnest(?::text[], ?::bigint[], ?::text[], ?::bigint[]) AS e(u, back, conv, mback)"
                    + " JOIN h ON h.user_id = e.u JOIN c ON c.id = e.conv)"
                    + " SELECT true, c.id, c.head FROM c UNION ALL SELECT false, h.user_id, h.head FROM h";

    /**
     * Stores the batch's fresh sends with {@link #STORE_FRESH_SQL} and numbers them (rule 4) from the
     * heads it returns: a conversation's first seq in this batch is its new head minus its count in
     * the batch, plus one; likewise each user's first cursor. That is the statement's
     * {@code head - back} in queue order, so the results name exactly the rows stored.
     */
    private void storeFresh(Connection c, AppendRules rules, List<AppendRules.Send> fresh) throws SQLException {
        long now = clock.millis();
        // How much each counter moves; TreeMaps: the statement locks rows in id order.
        TreeMap<String, Long> convCount = new TreeMap<>();
        TreeMap<String, Long> userCount = new TreeMap<>();
        Map<String, Conversation.Kind> kinds = new HashMap<>();
        Map<String, String> creatorOf = new HashMap<>();
        for (AppendRules.Send s : fresh) {
            Conversation conv = s.conversation();
            convCount.merge(conv.id(), 1L, Long::sum);
            kinds.put(conv.id(), conv.kind());
            creatorOf.putIfAbsent(conv.id(), s.request().sender()); // rule 3: created by its first message's sender
            for (String u : conv.members()) {
                userCount.merge(u, 1L, Long::sum);
            }
        }
        List<String> ids = new ArrayList<>(convCount.keySet());
        List<String> kindNames = new ArrayList<>();
        List<String> creators = new ArrayList<>();
        for (String id : ids) {
            kindNames.add(kinds.get(id).name());
            creators.add(creatorOf.get(id));
        }
        // back = how many later messages of the same conversation (users' entries) this batch holds.
        Map<String, Long> remaining = new HashMap<>(convCount);
        Map<String, Long> userLeft = new HashMap<>(userCount);
        int n = fresh.size();
        Object[] mConv = new Object[n];
        long[] mBack = new long[n];
        Object[] mSender = new Object[n];
        Object[] mClient = new Object[n];
        Object[] mBody = new Object[n];
        List<Object> iUser = new ArrayList<>();
        List<Long> iBack = new ArrayList<>();
        List<Object> iConv = new ArrayList<>();
        List<Object> iMBack = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            AppendRules.Send s = fresh.get(k);
            String conv = s.conversation().id();
            long left = remaining.merge(conv, -1L, Long::sum);
            mConv[k] = conv;
            mBack[k] = left;
            mSender[k] = s.request().sender();
            mClient[k] = s.request().clientId();
            mBody[k] = s.request().body();
            for (String u : s.conversation().members()) {
                iUser.add(u);
                iBack.add(userLeft.merge(u, -1L, Long::sum));
                iConv.add(conv);
                iMBack.add(left);
            }
        }
        Map<String, Long> nextSeq = new HashMap<>();
        Map<String, Long> nextCursor = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(STORE_FRESH_SQL)) {
            ps.setLong(1, now);
            ps.setArray(2, textArray(c, ids));
            ps.setArray(3, textArray(c, kindNames));
            ps.setArray(4, textArray(c, creators));
            ps.setArray(5, c.createArrayOf("bigint", ids.stream().map(convCount::get).toArray()));
            ps.setLong(6, now);
            ps.setArray(7, c.createArrayOf("text", mConv));
            ps.setArray(8, c.createArrayOf("bigint", java.util.Arrays.stream(mBack).boxed().toArray()));
            ps.setArray(9, c.createArrayOf("text", mSender));
            ps.setArray(10, c.createArrayOf("text", mClient));
            ps.setArray(11, c.createArrayOf("text", mBody));
            ps.setArray(12, textArray(c, new ArrayList<>(userCount.keySet())));
            ps.setArray(13, c.createArrayOf("bigint", userCount.values().toArray()));
            ps.setArray(14, c.createArrayOf("text", iUser.toArray()));
            ps.setArray(15, c.createArrayOf("bigint", iBack.toArray()));
            ps.setArray(16, c.createArrayOf("text", iConv.toArray()));
            ps.setArray(17, c.createArrayOf("bigint", iMBack.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    boolean isConv = rs.getBoolean(1);
                    String id = rs.getString(2);
                    long count = (isConv ? convCount : userCount).get(id);
                    (isConv ? nextSeq : nextCursor).put(id, rs.getLong(3) - count + 1);
                }
            }
        }
        AppendRules.Counters<RuntimeException> counters = new AppendRules.Counters<>() {
            @Override
            public long nextSeq(String conv) {
                return nextSeq.merge(conv, 1L, Long::sum) - 1;
            }

            @Override
            public long nextCursor(String user) {
                return nextCursor.merge(user, 1L, Long::sum) - 1;
            }
        };
        for (AppendRules.Send s : fresh) {
            rules.number(s, now, counters);
        }
    }

    /** Deletes the membership row; later appends of the batch see the new member list (newGroups). */
    private void applyLeave(Connection c, LeaveOp l, Map<String, Conversation> newGroups) throws SQLException {
        Conversation conv = newGroups.get(l.conv);
        if (conv == null) {
            conv = conversationOn(c, l.conv).orElse(null);
        }
        if (conv == null) {
            l.rejection = RejectedException.unknownConversation(l.conv);
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM members WHERE conv = ? AND user_id = ?")) {
            ps.setString(1, l.conv);
            ps.setString(2, l.user);
            if (ps.executeUpdate() == 0) {
                l.rejection = RejectedException.notMember(l.user, l.conv);
                return;
            }
        }
        Conversation after = conv.without(l.user);
        newGroups.put(l.conv, after);
        l.result = after;
    }

    private void applyRead(Connection c, ReadOp r, Map<String, Conversation> newGroups) throws SQLException {
        Conversation conv = newGroups.get(r.conv);
        if (conv == null) {
            conv = conversationOn(c, r.conv).orElse(null);
        }
        r.rejection = AppendRules.membership(r.conv, conv, r.user).orElse(null);
        if (r.rejection != null) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO reads AS r (conv, user_id, seq) VALUES (?, ?, ?)"
                        + " ON CONFLICT (conv, user_id) DO UPDATE SET seq = GREATEST(r.seq, EXCLUDED.seq) RETURNING r.seq")) {
            ps.setString(1, r.conv);
            ps.setString(2, r.user);
            ps.setLong(3, r.seq);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                r.result = rs.getLong(1);
            }
        }
    }

    private static String key(String sender, String clientId) {
        return sender + '\u0000' + clientId;
    }

    private static Array textArray(Connection c, List<String> values) throws SQLException {
        return c.createArrayOf("text", values.toArray());
    }

    // ---------------------------------------------------------------- reads (pooled connections)

    /** Readers never wait for the writer's connection: they use their own pool. */
    @Override
    protected <T> T withReader(Query<T> q) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return q.run(c);
        }
    }

    /**
     * History pages go to the replica when there is one (they may lag it by the replication delay);
     * a replica that fails or cannot be reached within {@code connectTimeout} is skipped for the
     * primary. Inbox reads, inbox heads and group lookups always read the primary: delivery and
     * membership need the committed state.
     */
    @Override
    protected <T> T withLaggingReader(Query<T> q) throws SQLException {
        if (replicaDs != null) {
            try (Connection c = replicaDs.getConnection()) {
                T r = q.run(c);
                replicaReads.incrementAndGet();
                return r;
            } catch (SQLException e) {
                replicaFallbacks.incrementAndGet();
                log.debug("replica read failed, reading the primary: {}", e.toString());
            }
        }
        return withReader(q);
    }

    @Override
    public long inboxHead(String user) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT head FROM inbox_heads WHERE user_id = ?")) {
                ps.setString(1, user);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0L;
                }
            }
        });
    }

    @Override
    protected void closeResources() {
        if (replicaDs != null) {
            replicaDs.close();
        }
        ds.close();
        writerDs.close();
    }

    @Override
    public String toString() {
        return "postgresql:" + config;
    }
}
