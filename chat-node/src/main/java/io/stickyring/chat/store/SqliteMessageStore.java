package io.stickyring.chat.store;

import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.AppendRules;
import io.stickyring.chat.model.Conversation;
import io.stickyring.chat.model.InboxFeed;
import io.stickyring.chat.model.RejectedException;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.model.StoredMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded {@link MessageStore}: one SQLite database file in WAL mode with
 * {@code synchronous=FULL}, so a returned commit has been fsync'd.
 *
 * <p>Group commit: every write (append, group creation, read mark) is queued; a single writer
 * thread takes what is queued (up to {@code maxBatch}), runs it in one transaction, commits once
 * (one fsync), and only then completes the futures. Under load, N concurrent sends cost one fsync
 * instead of N. With {@code maxBatch = 1} every send is its own commit (the benchmark's peer).
 *
 * <p>Each batch is one {@code BEGIN IMMEDIATE} transaction, so batches of different processes
 * sharing the file serialize on SQLite's write lock. The per-conversation seq and per-user cursor
 * counters are cached in the writer thread's memory (loaded lazily, updated only after a commit
 * succeeds, discarded after a failed one, and discarded when {@code PRAGMA data_version} shows
 * that another connection committed in between). Readers use a small pool of separate
 * connections, which WAL lets read concurrently with the writer.
 */
public final class SqliteMessageStore extends JdbcMessageStore<SqliteMessageStore.Op<?>> implements InboxFeed {
    private static final Logger log = LoggerFactory.getLogger(SqliteMessageStore.class);

    /** Validated store settings. */
    public record Config(Path path, int maxBatch, int readers, int maxGroupMembers) {
        public Config {
            Objects.requireNonNull(path, "path");
            if (maxBatch < 1) {
                throw new IllegalArgumentException("maxBatch (" + maxBatch + ") must be >= 1");
            }
            if (readers < 1) {
                throw new IllegalArgumentException("readers (" + readers + ") must be >= 1");
            }
            if (maxGroupMembers < 1) {
                throw new IllegalArgumentException("maxGroupMembers (" + maxGroupMembers + ") must be >= 1");
            }
        }

        public static Config defaults(Path path) {
            return new Config(path, 512, 4, 1000);
        }

        public Config withMaxBatch(int n) {
            return new Config(path, n, readers, maxGroupMembers);
        }
    }

    private static final String[] SCHEMA = {
        "CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL,"
            + " created_by TEXT NOT NULL, created_at INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS members (conv TEXT NOT NULL, user TEXT NOT NULL, PRIMARY KEY (conv, user))",
        "CREATE INDEX IF NOT EXISTS members_by_user ON members (user, conv)",
        "CREATE TABLE IF NOT EXISTS messages (conv TEXT NOT NULL, seq INTEGER NOT NULL, sender TEXT NOT NULL,"
            + " client_id TEXT NOT NULL, body TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (conv, seq),"
            + " UNIQUE (sender, client_id))",
        "CREATE TABLE IF NOT EXISTS inbox (user TEXT NOT NULL, cursor INTEGER NOT NULL, conv TEXT NOT NULL,"
            + " seq INTEGER NOT NULL, PRIMARY KEY (user, cursor))",
        "CREATE TABLE IF NOT EXISTS reads (conv TEXT NOT NULL, user TEXT NOT NULL, seq INTEGER NOT NULL,"
            + " PRIMARY KEY (conv, user))",
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    };

    private final Config config;
    private final Clock clock;
    private final StoreMetrics metrics;
    private final Connection writer;
    private final BlockingQueue<Connection> readers;
    private final Thread checkpointer;

    // Writer-thread state: committed counters (conversations are cached in groupCache).
    private long dataVersion = Long.MIN_VALUE;
    private final Map<String, Long> nextSeq = new HashMap<>();
    private final Map<String, Long> nextCursor = new HashMap<>();

    public SqliteMessageStore(Config config, Clock clock, StoreMetrics metrics) {
        super(config.maxBatch(), config.maxGroupMembers(), TimeUnit.SECONDS.toMillis(30), "user");
        this.config = config;
        this.clock = clock;
        this.metrics = metrics;
        try {
            Path parent = config.path().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            String url = "jdbc:sqlite:" + config.path().toAbsolutePath();
            writer = DriverManager.getConnection(url);
            try (Statement st = writer.createStatement()) {
                st.execute("PRAGMA journal_mode=WAL");
                st.execute("PRAGMA synchronous=FULL");
                st.execute("PRAGMA busy_timeout=10000");
                // Checkpoints run on their own thread (below), not inside a commit on the ack path.
                st.execute("PRAGMA wal_autocheckpoint=0");
                for (String ddl : SCHEMA) {
                    st.execute(ddl);
                }
                try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM schema_version")) {
                    if (rs.next() && rs.getInt(1) == 0) {
                        st.execute("INSERT INTO schema_version VALUES (1)");
                    }
                }
            }
            // Transactions are explicit (BEGIN IMMEDIATE ... COMMIT per batch), so between batches this
            // connection holds no lock and other processes may write the same file.
            writer.setAutoCommit(true);
            readers = new ArrayBlockingQueue<>(config.readers());
            for (int i = 0; i < config.readers(); i++) {
                Connection r = DriverManager.getConnection(url);
                try (Statement st = r.createStatement()) {
                    st.execute("PRAGMA busy_timeout=10000");
                }
                readers.add(r);
            }
        } catch (Exception e) {
            throw new StoreUnavailableException("cannot open SQLite store at " + config.path() + ": " + e.getMessage(), e);
        }
        startWriter("sqlite-writer-" + config.path().getFileName());
        checkpointer = new Thread(this::checkpointLoop, "sqlite-checkpoint-" + config.path().getFileName());
        checkpointer.setDaemon(true);
        checkpointer.start();
    }

    /**
     * Copies the WAL back into the database every 200 ms with a PASSIVE checkpoint on a separate
     * connection: it never blocks the writer, so a checkpoint's fsync of the main file does not
     * land on some unlucky send's ack latency (as SQLite's default auto-checkpoint, run inside
     * the committing transaction, would).
     */
    private void checkpointLoop() {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + config.path().toAbsolutePath());
             Statement st = c.createStatement()) {
            st.execute("PRAGMA busy_timeout=1000");
            while (!closing) {
                try {
                    Thread.sleep(200);
                    st.execute("PRAGMA wal_checkpoint(PASSIVE)");
                } catch (SQLException e) {
                    log.debug("checkpoint skipped: {}", e.toString());
                } catch (InterruptedException e) {
                    return;
                }
            }
        } catch (SQLException e) {
            log.warn("checkpoint thread stopped: {}", e.toString());
        }
    }

    public SqliteMessageStore(Config config) {
        this(config, Clock.systemUTC(), StoreMetrics.NOOP);
    }

    public Config config() {
        return config;
    }

    // ---------------------------------------------------------------- writes (queued, group commit)

    /** A queued write; {@code apply} runs on the writer thread inside the batch transaction. */
    abstract static class Op<T> extends JdbcMessageStore.Op<T> {
        abstract T apply(Batch batch) throws SQLException;
    }

    /**
     * Per-batch scratch state: the append rules' memory of this batch, counters assigned but not yet
     * committed, conversations created or changed in it. It answers the rules' questions on the
     * writer connection, inside the batch's transaction.
     */
    private final class Batch implements AppendRules.Lookup<SQLException>, AppendRules.Counters<SQLException> {
        final AppendRules rules = new AppendRules();
        final Map<String, Long> seq = new HashMap<>();
        final Map<String, Long> cursor = new HashMap<>();
        final Map<String, Conversation> newConvs = new HashMap<>();

        @Override
        public Optional<StoredMessage> committed(String sender, String clientId) throws SQLException {
            PreparedStatement ps = ws("SELECT conv, seq, body, ts FROM messages WHERE sender = ? AND client_id = ?");
            ps.setString(1, sender);
            ps.setString(2, clientId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next()
                        ? Optional.of(new StoredMessage(rs.getString(1), rs.getLong(2), clientId, sender, rs.getString(3), rs.getLong(4)))
                        : Optional.empty();
            }
        }

        @Override
        public Optional<Conversation> conversation(String id) {
            Conversation c = newConvs.get(id);
            return c != null ? Optional.of(c) : SqliteMessageStore.this.conversation(id);
        }

        @Override
        public long nextSeq(String conv) throws SQLException {
            long next = seq.containsKey(conv) ? seq.get(conv) : committedNext(nextSeq, conv,
                    "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conv = ?");
            seq.put(conv, next + 1);
            return next;
        }

        @Override
        public long nextCursor(String user) throws SQLException {
            long next = cursor.containsKey(user) ? cursor.get(user) : committedNext(nextCursor, user,
                    "SELECT COALESCE(MAX(cursor), 0) FROM inbox WHERE user = ?");
            cursor.put(user, next + 1);
            return next;
        }
    }

    /** Prepared statements of the writer connection, reused across batches (writer thread only). */
    private final Map<String, PreparedStatement> writerStatements = new HashMap<>();

    private PreparedStatement ws(String sql) throws SQLException {
        PreparedStatement ps = writerStatements.get(sql);
        if (ps == null) {
            ps = writer.prepareStatement(sql);
            writerStatements.put(sql, ps);
        }
        return ps;
    }

    private long committedNext(Map<String, Long> cache, String key, String sql) throws SQLException {
        Long cached = cache.get(key);
        if (cached != null) {
            return cached;
        }
        {
            PreparedStatement ps = ws(sql);
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) + 1;
            }
        }
    }

    @Override
    public CompletableFuture<AppendResult> append(SendRequest req) {
        return enqueue(new Op<AppendResult>() {
            @Override
            AppendResult apply(Batch b) throws SQLException {
                return doAppend(b, req);
            }
        }).future;
    }

    /** The append rules ({@link AppendRules}) on this store's SQL, one statement per row. */
    private AppendResult doAppend(Batch b, SendRequest req) throws SQLException {
        AppendRules.Send send = b.rules.decide(req, b);
        if (send.duplicate()) {
            metrics.dedupHit();
            return send.result();
        }
        if (send.rejection().isPresent()) {
            throw send.rejection().get();
        }
        if (send.opensDirect()) {
            openDirect(b, send.conversation(), req.sender());
        }
        AppendResult result = b.rules.number(send, clock.millis(), b);
        StoredMessage m = result.message();
        {
            PreparedStatement ps = ws(
                "INSERT INTO messages (conv, seq, sender, client_id, body, ts) VALUES (?, ?, ?, ?, ?, ?)");
            ps.setString(1, m.conv());
            ps.setLong(2, m.seq());
            ps.setString(3, m.from());
            ps.setString(4, m.id());
            ps.setString(5, m.body());
            ps.setLong(6, m.ts());
            ps.executeUpdate();
        }
        {
            PreparedStatement ps = ws(
                "INSERT INTO inbox (user, cursor, conv, seq) VALUES (?, ?, ?, ?)");
            for (Map.Entry<String, Long> e : result.cursors().entrySet()) {
                ps.setString(1, e.getKey());
                ps.setLong(2, e.getValue());
                ps.setString(3, m.conv());
                ps.setLong(4, m.seq());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        return result;
    }

    /** Resolves a conversation on the writer thread (read marks, leaves); a direct one gets its rows on first use. */
    private Conversation conversationForWrite(Batch b, String id) throws SQLException {
        Conversation c = b.conversation(id).orElseThrow(
                () -> RejectedException.unknownConversation(id));
        if (c.kind() == Conversation.Kind.DIRECT) {
            openDirect(b, c, c.members().get(0));
        }
        return c;
    }

    /** Writes a direct conversation's row and member rows unless they exist (once per batch). */
    private void openDirect(Batch b, Conversation c, String createdBy) throws SQLException {
        if (b.newConvs.containsKey(c.id())) {
            return;
        }
        PreparedStatement ps = ws(
                "INSERT OR IGNORE INTO conversations (id, kind, title, created_by, created_at) VALUES (?, 'DIRECT', '', ?, ?)");
        ps.setString(1, c.id());
        ps.setString(2, createdBy);
        ps.setLong(3, clock.millis());
        if (ps.executeUpdate() > 0) {
            insertMembers(c.id(), c.members());
        }
        b.newConvs.put(c.id(), c);
    }

    private void insertMembers(String conv, List<String> members) throws SQLException {
        {
            PreparedStatement ps = ws("INSERT OR IGNORE INTO members (conv, user) VALUES (?, ?)");
            for (String u : members) {
                ps.setString(1, conv);
                ps.setString(2, u);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    @Override
    protected CompletableFuture<Conversation> enqueueGroup(Conversation conv, String creator) {
        String id = conv.id();
        return enqueue(new Op<Conversation>() {
            @Override
            Conversation apply(Batch b) throws SQLException {
                {
            PreparedStatement ps = ws(
                        "INSERT INTO conversations (id, kind, title, created_by, created_at) VALUES (?, 'GROUP', ?, ?, ?)");
                    ps.setString(1, id);
                    ps.setString(2, conv.title());
                    ps.setString(3, creator);
                    ps.setLong(4, clock.millis());
                    ps.executeUpdate();
                }
                insertMembers(id, conv.members());
                b.newConvs.put(id, conv);
                return conv;
            }
        }).future;
    }

    @Override
    protected CompletableFuture<Conversation> enqueueLeave(String conv, String user) {
        return enqueue(new Op<Conversation>() {
            @Override
            Conversation apply(Batch b) throws SQLException {
                Conversation c = conversationForWrite(b, conv);
                PreparedStatement ps = ws("DELETE FROM members WHERE conv = ? AND user = ?");
                ps.setString(1, conv);
                ps.setString(2, user);
                if (ps.executeUpdate() == 0) {
                    throw RejectedException.notMember(user, conv);
                }
                Conversation after = c.without(user);
                b.newConvs.put(conv, after); // later ops of this batch see the new member list
                return after;
            }
        }).future;
    }

    @Override
    public CompletableFuture<Long> markRead(String conv, String user, long seq) {
        return enqueue(new Op<Long>() {
            @Override
            Long apply(Batch b) throws SQLException {
                Optional<RejectedException> refused = AppendRules.membership(conv, conversationForWrite(b, conv), user);
                if (refused.isPresent()) {
                    throw refused.get();
                }
                {
            PreparedStatement ps = ws(
                        "INSERT INTO reads (conv, user, seq) VALUES (?, ?, ?)"
                                + " ON CONFLICT (conv, user) DO UPDATE SET seq = MAX(seq, excluded.seq)");
                    ps.setString(1, conv);
                    ps.setString(2, user);
                    ps.setLong(3, seq);
                    ps.executeUpdate();
                }
                {
            PreparedStatement ps = ws("SELECT seq FROM reads WHERE conv = ? AND user = ?");
                    ps.setString(1, conv);
                    ps.setString(2, user);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        return rs.getLong(1);
                    }
                }
            }
        }).future;
    }

    @Override
    protected void runBatch(List<Op<?>> ops) {
        long start = System.nanoTime();
        Batch b = new Batch();
        boolean begun = false;
        try {
            try (Statement st = writer.createStatement()) {
                st.execute("BEGIN IMMEDIATE");
                begun = true;
                // Another process committed since our last batch: our cached counters may be stale.
                try (ResultSet rs = st.executeQuery("PRAGMA data_version")) {
                    rs.next();
                    long v = rs.getLong(1);
                    if (v != dataVersion) {
                        nextSeq.clear();
                        nextCursor.clear();
                        dataVersion = v;
                    }
                }
            }
            for (Op<?> op : ops) {
                applyOne(op, b);
            }
            try (Statement st = writer.createStatement()) {
                st.execute("COMMIT");
            }
        } catch (SQLException | RuntimeException e) {
            try {
                if (begun) {
                    try (Statement st = writer.createStatement()) {
                        st.execute("ROLLBACK");
                    } catch (SQLException notActive) {
                        // SQLite had already ended the transaction (e.g. a failed COMMIT)
                    }
                }
                for (PreparedStatement ps : writerStatements.values()) {
                    ps.clearBatch();
                }
            } catch (SQLException re) {
                e.addSuppressed(re);
            }
            // Counters may have been read from state that did not commit: reload lazily.
            nextSeq.clear();
            nextCursor.clear();
            log.warn("sqlite batch of {} failed, nothing acknowledged: {}", ops.size(), e.toString());
            failAll(ops, new StoreUnavailableException("commit failed: " + e.getMessage(), e));
            return;
        }
        nextSeq.putAll(b.seq);
        nextCursor.putAll(b.cursor);
        groupCache.putAll(b.newConvs);
        metrics.committed(ops.size(), System.nanoTime() - start);
        for (Op<?> op : ops) {
            op.complete();
        }
    }

    private static <T> void applyOne(Op<T> op, Batch b) throws SQLException {
        try {
            op.result = op.apply(b);
        } catch (RejectedException e) {
            // Rejections are decided before anything is written, so the rest of the batch stands.
            op.rejection = e;
        }
    }

    // ---------------------------------------------------------------- reads (pooled connections)

    @Override
    protected <T> T withReader(Query<T> q) throws SQLException {
        Connection c;
        try {
            c = readers.poll(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted waiting for a reader", e);
        }
        if (c == null) {
            throw new StoreUnavailableException("no reader connection free within 10 s", null);
        }
        try {
            return q.run(c);
        } finally {
            readers.add(c);
        }
    }

    /** Its own inbox rows, by row id: other processes writing the same file show up in it. */
    @Override
    public Optional<InboxFeed> inboxFeed() {
        return Optional.of(this);
    }

    /** The newest inbox row id (0 when empty): where a tail starts. */
    @Override
    public long inboxTailPosition() {
        return read(c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(rowid), 0) FROM inbox")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /**
     * Inbox rows committed after row {@code afterRowid}, in row order. Writers of one file are
     * serialized by SQLite's write lock, so row ids grow in commit order and a tail misses nothing.
     */
    @Override
    public List<InboxFeed.Entry> inboxAfter(long afterRowid, int limit) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT i.rowid, i.user, i.cursor, m.conv, m.seq, m.sender, m.client_id, m.body, m.ts FROM inbox i"
                            + " JOIN messages m ON m.conv = i.conv AND m.seq = i.seq"
                            + " WHERE i.rowid > ? ORDER BY i.rowid LIMIT ?")) {
                ps.setLong(1, afterRowid);
                ps.setInt(2, limit);
                List<InboxFeed.Entry> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new InboxFeed.Entry(rs.getLong(1), rs.getString(2), rs.getLong(3), message(rs, 4)));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public long inboxHead(String user) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(cursor), 0) FROM inbox WHERE user = ?")) {
                ps.setString(1, user);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    @Override
    protected void closeResources() {
        checkpointer.interrupt();
        try {
            checkpointer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            for (PreparedStatement ps : writerStatements.values()) {
                ps.close();
            }
            writer.close();
        } catch (SQLException e) {
            log.warn("closing sqlite writer: {}", e.toString());
        }
        Connection c;
        while ((c = readers.poll()) != null) {
            try {
                c.close();
            } catch (SQLException e) {
                log.warn("closing sqlite reader: {}", e.toString());
            }
        }
    }

    @Override
    public String toString() {
        return "sqlite:" + config.path();
    }
}
