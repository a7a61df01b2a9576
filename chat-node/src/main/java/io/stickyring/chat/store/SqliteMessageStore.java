package io.stickyring.chat.store;

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
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
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
public final class SqliteMessageStore implements MessageStore {
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
    private final BlockingQueue<Op<?>> queue = new LinkedBlockingQueue<>();
    private final Thread writerThread;
    private final Thread checkpointer;
    private volatile boolean closing;
    private volatile boolean closed;

    // Writer-thread state: committed counters and the immutable member lists of conversations.
    private long dataVersion = Long.MIN_VALUE;
    private final Map<String, Long> nextSeq = new HashMap<>();
    private final Map<String, Long> nextCursor = new HashMap<>();
    private final Map<String, Conversation> convCache = new java.util.concurrent.ConcurrentHashMap<>();

    public SqliteMessageStore(Config config, Clock clock, StoreMetrics metrics) {
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
        writerThread = new Thread(this::writerLoop, "sqlite-writer-" + config.path().getFileName());
        writerThread.setDaemon(true);
        writerThread.start();
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
    private abstract static class Op<T> {
        final CompletableFuture<T> future = new CompletableFuture<>();
        T result;
        RuntimeException rejection;

        abstract T apply(Batch batch) throws SQLException;
    }

    /** Per-batch scratch state: counters and dedup keys assigned but not yet committed. */
    private final class Batch {
        final Map<String, Long> seq = new HashMap<>();
        final Map<String, Long> cursor = new HashMap<>();
        final Map<String, AppendResult> byKey = new HashMap<>();
        final Map<String, Conversation> newConvs = new HashMap<>();

        long takeSeq(String conv) throws SQLException {
            long next = seq.containsKey(conv) ? seq.get(conv) : committedNext(nextSeq, conv,
                    "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conv = ?");
            seq.put(conv, next + 1);
            return next;
        }

        long takeCursor(String user) throws SQLException {
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

    private <T> CompletableFuture<T> enqueue(Op<T> op) {
        if (closing) {
            op.future.completeExceptionally(new StoreUnavailableException("store is closing", null));
            return op.future;
        }
        queue.add(op);
        if (closed) {
            // Lost the race with close(): the writer is gone, so fail what it will never run.
            failQueued();
        }
        return op.future;
    }

    @Override
    public CompletableFuture<AppendResult> append(SendRequest req) {
        return enqueue(new Op<>() {
            @Override
            AppendResult apply(Batch b) throws SQLException {
                return doAppend(b, req);
            }
        });
    }

    private AppendResult doAppend(Batch b, SendRequest req) throws SQLException {
        String key = req.sender() + '\u0000' + req.clientId();
        AppendResult inBatch = b.byKey.get(key);
        if (inBatch != null) {
            metrics.dedupHit();
            return new AppendResult(inBatch.ack(), true, inBatch.message(), Map.of());
        }
        {
            PreparedStatement ps = ws(
                "SELECT conv, seq, body, ts FROM messages WHERE sender = ? AND client_id = ?");
            ps.setString(1, req.sender());
            ps.setString(2, req.clientId());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    metrics.dedupHit();
                    StoredMessage m = new StoredMessage(rs.getString(1), rs.getLong(2), req.clientId(), req.sender(),
                            rs.getString(3), rs.getLong(4));
                    return new AppendResult(Ack.of(m), true, m, Map.of());
                }
            }
        }
        Conversation conv = conversationForWrite(b, req.conv());
        if (!conv.hasMember(req.sender())) {
            throw new RejectedException("not_member", "user '" + req.sender() + "' is not a member of '" + req.conv() + "'");
        }
        long seq = b.takeSeq(conv.id());
        StoredMessage m = new StoredMessage(conv.id(), seq, req.clientId(), req.sender(), req.body(), clock.millis());
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
        Map<String, Long> cursors = new LinkedHashMap<>();
        {
            PreparedStatement ps = ws(
                "INSERT INTO inbox (user, cursor, conv, seq) VALUES (?, ?, ?, ?)");
            for (String member : conv.members()) {
                long c = b.takeCursor(member);
                cursors.put(member, c);
                ps.setString(1, member);
                ps.setLong(2, c);
                ps.setString(3, m.conv());
                ps.setLong(4, m.seq());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        AppendResult result = new AppendResult(Ack.of(m), false, m, cursors);
        b.byKey.put(key, result);
        return result;
    }

    /** Resolves a conversation on the writer thread; a direct one gets its rows on first use. */
    private Conversation conversationForWrite(Batch b, String id) throws SQLException {
        Conversation c = b.newConvs.get(id);
        if (c == null) {
            c = conversation(id).orElse(null);
        }
        if (c == null) {
            throw new RejectedException("unknown_conversation", "no conversation '" + id + "'");
        }
        if (c.kind() == Conversation.Kind.DIRECT && !b.newConvs.containsKey(id)) {
            {
            PreparedStatement ps = ws(
                    "INSERT OR IGNORE INTO conversations (id, kind, title, created_by, created_at) VALUES (?, 'DIRECT', '', ?, ?)");
                ps.setString(1, id);
                ps.setString(2, c.members().get(0));
                ps.setLong(3, clock.millis());
                if (ps.executeUpdate() > 0) {
                    insertMembers(id, c.members());
                }
            }
            b.newConvs.put(id, c);
        }
        return c;
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
    public CompletableFuture<Conversation> createGroup(String creator, Set<String> members, String title) {
        TreeSet<String> all = new TreeSet<>(members);
        all.add(creator);
        for (String u : all) {
            if (!Conversations.validUser(u)) {
                return CompletableFuture.failedFuture(new RejectedException("bad_request", "invalid user id '" + u + "'"));
            }
        }
        if (all.size() > config.maxGroupMembers()) {
            return CompletableFuture.failedFuture(new RejectedException("bad_request",
                    "group of " + all.size() + " members exceeds the limit of " + config.maxGroupMembers()));
        }
        String safeTitle = title == null ? "" : title;
        String id = "g:" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
        Conversation conv = new Conversation(id, Conversation.Kind.GROUP, safeTitle, new ArrayList<>(all));
        return enqueue(new Op<>() {
            @Override
            Conversation apply(Batch b) throws SQLException {
                {
            PreparedStatement ps = ws(
                        "INSERT INTO conversations (id, kind, title, created_by, created_at) VALUES (?, 'GROUP', ?, ?, ?)");
                    ps.setString(1, id);
                    ps.setString(2, safeTitle);
                    ps.setString(3, creator);
                    ps.setLong(4, clock.millis());
                    ps.executeUpdate();
                }
                insertMembers(id, conv.members());
                b.newConvs.put(id, conv);
                return conv;
            }
        });
    }

    @Override
    public CompletableFuture<Long> markRead(String conv, String user, long seq) {
        return enqueue(new Op<>() {
            @Override
            Long apply(Batch b) throws SQLException {
                Conversation c = conversationForWrite(b, conv);
                if (!c.hasMember(user)) {
                    throw new RejectedException("not_member", "user '" + user + "' is not a member of '" + conv + "'");
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
        });
    }

    private void writerLoop() {
        List<Op<?>> batch = new ArrayList<>(config.maxBatch());
        while (true) {
            Op<?> first;
            try {
                first = queue.poll(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                break;
            }
            if (first == null) {
                if (closing && queue.isEmpty()) {
                    break;
                }
                continue;
            }
            batch.clear();
            batch.add(first);
            queue.drainTo(batch, config.maxBatch() - 1);
            runBatch(batch);
        }
        closed = true;
        failQueued();
    }

    private void runBatch(List<Op<?>> ops) {
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
            StoreUnavailableException failure = new StoreUnavailableException("commit failed: " + e.getMessage(), e);
            for (Op<?> op : ops) {
                op.future.completeExceptionally(failure);
            }
            return;
        }
        nextSeq.putAll(b.seq);
        nextCursor.putAll(b.cursor);
        convCache.putAll(b.newConvs);
        metrics.committed(ops.size(), System.nanoTime() - start);
        for (Op<?> op : ops) {
            complete(op);
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

    private static <T> void complete(Op<T> op) {
        if (op.rejection != null) {
            op.future.completeExceptionally(op.rejection);
        } else {
            op.future.complete(op.result);
        }
    }

    private void failQueued() {
        Op<?> op;
        while ((op = queue.poll()) != null) {
            op.future.completeExceptionally(new StoreUnavailableException("store is closed", null));
        }
    }

    // ---------------------------------------------------------------- reads (pooled connections)

    private interface Query<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T read(Query<T> q) {
        // Checks closed, not closing: the writer still resolves conversations while it drains.
        if (closed) {
            throw new StoreUnavailableException("store is closed", null);
        }
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
        } catch (SQLException e) {
            throw new StoreUnavailableException("read failed: " + e.getMessage(), e);
        } finally {
            readers.add(c);
        }
    }

    private static StoredMessage message(ResultSet rs, int col) throws SQLException {
        return new StoredMessage(rs.getString(col), rs.getLong(col + 1), rs.getString(col + 3), rs.getString(col + 2),
                rs.getString(col + 4), rs.getLong(col + 5));
    }

    @Override
    public List<InboxEntry> readInbox(String user, long afterCursor, int limit) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT i.cursor, m.conv, m.seq, m.sender, m.client_id, m.body, m.ts FROM inbox i"
                            + " JOIN messages m ON m.conv = i.conv AND m.seq = i.seq"
                            + " WHERE i.user = ? AND i.cursor > ? ORDER BY i.cursor LIMIT ?")) {
                ps.setString(1, user);
                ps.setLong(2, afterCursor);
                ps.setInt(3, limit);
                List<InboxEntry> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new InboxEntry(rs.getLong(1), message(rs, 2)));
                    }
                }
                return out;
            }
        });
    }

    /** One inbox row in insertion (commit) order, for tailing the file from another process. */
    public record TailEntry(long rowid, String user, long cursor, StoredMessage message) { }

    /** The newest inbox row id (0 when empty): where a tail starts. */
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
    public List<TailEntry> inboxAfter(long afterRowid, int limit) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT i.rowid, i.user, i.cursor, m.conv, m.seq, m.sender, m.client_id, m.body, m.ts FROM inbox i"
                            + " JOIN messages m ON m.conv = i.conv AND m.seq = i.seq"
                            + " WHERE i.rowid > ? ORDER BY i.rowid LIMIT ?")) {
                ps.setLong(1, afterRowid);
                ps.setInt(2, limit);
                List<TailEntry> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new TailEntry(rs.getLong(1), rs.getString(2), rs.getLong(3), message(rs, 4)));
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
    public List<StoredMessage> history(String conv, long beforeSeq, int limit) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT conv, seq, sender, client_id, body, ts FROM messages WHERE conv = ? AND seq < ?"
                            + " ORDER BY seq DESC LIMIT ?")) {
                ps.setString(1, conv);
                ps.setLong(2, beforeSeq);
                ps.setInt(3, limit);
                List<StoredMessage> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(message(rs, 1));
                    }
                }
                Collections.reverse(out);
                return out;
            }
        });
    }

    @Override
    public Optional<Conversation> conversation(String id) {
        Optional<Conversation> direct = Conversations.parseDirect(id);
        if (direct.isPresent()) {
            return direct;
        }
        if (!Conversations.isGroupId(id)) {
            return Optional.empty();
        }
        Conversation cached = convCache.get(id);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<Conversation> loaded = read(c -> loadGroup(c, id));
        // Group member lists never change once created, so caching them is safe.
        loaded.ifPresent(conv -> convCache.put(id, conv));
        return loaded;
    }

    private static Optional<Conversation> loadGroup(Connection c, String id) throws SQLException {
        String title;
        try (PreparedStatement ps = c.prepareStatement("SELECT title FROM conversations WHERE id = ? AND kind = 'GROUP'")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                title = rs.getString(1);
            }
        }
        List<String> members = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT user FROM members WHERE conv = ? ORDER BY user")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    members.add(rs.getString(1));
                }
            }
        }
        return Optional.of(new Conversation(id, Conversation.Kind.GROUP, title, members));
    }

    @Override
    public List<Conversation> conversationsOf(String user) {
        List<String> ids = read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT conv FROM members WHERE user = ? ORDER BY conv")) {
                ps.setString(1, user);
                List<String> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
                return out;
            }
        });
        List<Conversation> out = new ArrayList<>();
        for (String id : ids) {
            conversation(id).ifPresent(out::add);
        }
        return out;
    }

    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        try {
            writerThread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closed = true;
        failQueued();
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
