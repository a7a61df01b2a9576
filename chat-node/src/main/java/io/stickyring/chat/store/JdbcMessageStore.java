package io.stickyring.chat.store;

import io.stickyring.chat.model.Conversation;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.RejectedException;
import io.stickyring.chat.model.StoredMessage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What {@link SqliteMessageStore} and {@link PostgresMessageStore} share: the write queue drained
 * by one group-commit writer thread, the close sequence, the group cache, and the reads whose SQL
 * differs only in the name of the user column. A subclass supplies its dialect: how a batch runs
 * in one transaction ({@link #runBatch}), where a reader connection comes from
 * ({@link #withReader}), {@link #inboxHead} and the resources it frees on close.
 *
 * <p>Invariant: a queued op's future is completed exactly once, by its batch's outcome or with
 * {@link StoreUnavailableException} once the store is closed; nothing is acknowledged before its
 * batch committed (subclasses complete futures only after commit).
 */
abstract class JdbcMessageStore<O extends JdbcMessageStore.Op<?>> implements MessageStore {

    /** A queued write. {@code result}/{@code rejection} belong to the current attempt only. */
    abstract static class Op<T> {
        final CompletableFuture<T> future = new CompletableFuture<>();
        T result;
        RuntimeException rejection;

        void reset() {
            result = null;
            rejection = null;
        }

        void complete() {
            if (rejection != null) {
                future.completeExceptionally(rejection);
            } else {
                future.complete(result);
            }
        }
    }

    /** A read run on a reader connection. */
    interface Query<T> {
        T run(Connection c) throws SQLException;
    }

    private final int maxBatch;
    private final int maxGroupMembers;
    private final long closeWaitMillis;
    private final BlockingQueue<O> queue = new LinkedBlockingQueue<>();
    private Thread writerThread;
    /**
     * Group member lists, cached. Members only ever leave ({@link #leaveGroup}); a leave drops the
     * entry here after its commit ({@link #invalidateGroup}) and other nodes drop theirs when the
     * bus tells them. As a backstop for an invalidation the bus lost (NATS down, or several
     * processes on one SQLite file), the whole cache is dropped every {@link #GROUP_CACHE_TTL_NANOS}.
     */
    protected final Map<String, Conversation> groupCache = new ConcurrentHashMap<>();
    /** Bumped by every invalidation: a load that raced one does not keep what it read (see {@link #loadGroup}). */
    private final AtomicLong groupEpoch = new AtomicLong();
    /** Longest a cached member list is used without reloading it, by default: 10 s. */
    static final long GROUP_CACHE_TTL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** {@link MessageStores#GROUP_CACHE_TTL_PROPERTY} overrides {@link #GROUP_CACHE_TTL_NANOS}. */
    private static final String GROUP_CACHE_TTL_PROPERTY = MessageStores.GROUP_CACHE_TTL_PROPERTY;
    private final long groupCacheTtlNanos = groupCacheTtlNanos();
    private volatile long groupCacheSwept = System.nanoTime();
    /** Set once by {@link #close()}: no new writes are queued, the writer drains what is queued. */
    protected volatile boolean closing;
    /** Set once the writer has stopped: reads fail and late writes are failed at once. */
    private volatile boolean closed;

    private final String readInboxSql;
    private final String groupMembersSql;
    private final String conversationsOfSql;
    private final String groupCountSql;

    /** @param userColumn the dialect's name of the user column in {@code inbox} and {@code members} */
    JdbcMessageStore(int maxBatch, int maxGroupMembers, long closeWaitMillis, String userColumn) {
        this.maxBatch = maxBatch;
        this.maxGroupMembers = maxGroupMembers;
        this.closeWaitMillis = closeWaitMillis;
        this.readInboxSql = "SELECT i.cursor, m.conv, m.seq, m.sender, m.client_id, m.body, m.ts FROM inbox i"
                + " JOIN messages m ON m.conv = i.conv AND m.seq = i.seq"
                + " WHERE i." + userColumn + " = ? AND i.cursor > ? ORDER BY i.cursor LIMIT ?";
        this.groupMembersSql = "SELECT " + userColumn + " FROM members WHERE conv = ? ORDER BY " + userColumn;
        this.conversationsOfSql = "SELECT conv FROM members WHERE " + userColumn + " = ? ORDER BY conv";
        this.groupCountSql = "SELECT COUNT(*) FROM members WHERE " + userColumn + " = ? AND conv LIKE 'g:%'";
    }

    private static long groupCacheTtlNanos() {
        String v = System.getProperty(GROUP_CACHE_TTL_PROPERTY);
        if (v == null) {
            return GROUP_CACHE_TTL_NANOS;
        }
        try {
            long ms = Long.parseLong(v.trim());
            if (ms >= 1) {
                return TimeUnit.MILLISECONDS.toNanos(ms);
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException(GROUP_CACHE_TTL_PROPERTY + " (" + v + ") must be a number of milliseconds >= 1");
    }

    /** Starts the writer; called last in the subclass constructor, once its fields are set. */
    protected final void startWriter(String threadName) {
        writerThread = new Thread(this::writerLoop, threadName);
        writerThread.setDaemon(true);
        writerThread.start();
    }

    // ---------------------------------------------------------------- writes (queued, group commit)

    /** Runs one batch in one transaction and completes every op's future (writer thread only). */
    protected abstract void runBatch(List<O> ops);

    /** Queues a group creation of an already validated conversation. */
    protected abstract CompletableFuture<Conversation> enqueueGroup(Conversation conv, String creator);

    /**
     * Queues the removal of {@code user} from group {@code conv} (an id already checked to be a
     * group id). The op completes with the group as it is after the leave, or is rejected with
     * {@code unknown_conversation} / {@code not_member}; within its batch, later ops see the new
     * member list.
     */
    protected abstract CompletableFuture<Conversation> enqueueLeave(String conv, String user);

    @Override
    public final CompletableFuture<Conversation> leaveGroup(String conv, String user) {
        if (!Conversations.isGroupId(conv)) {
            return CompletableFuture.failedFuture(new RejectedException("bad_request",
                    "only groups can be left; '" + conv + "' is not a group id"));
        }
        // Dropped after the commit: the next lookup reads the new member list.
        return enqueueLeave(conv, user).whenComplete((c, e) -> {
            if (c != null) {
                invalidateGroup(conv);
            }
        });
    }

    @Override
    public final void invalidateGroup(String conv) {
        groupEpoch.incrementAndGet();
        groupCache.remove(conv);
    }

    protected final <P extends O> P enqueue(P op) {
        if (closing) {
            op.future.completeExceptionally(new StoreUnavailableException("store is closing", null));
            return op;
        }
        queue.add(op);
        if (closed) {
            // Lost the race with close(): the writer is gone, so fail what it will never run.
            failQueued();
        }
        return op;
    }

    @Override
    public final CompletableFuture<Conversation> createGroup(String creator, Set<String> members, String title) {
        TreeSet<String> all = new TreeSet<>(members);
        all.add(creator);
        for (String u : all) {
            if (!Conversations.validUser(u)) {
                return CompletableFuture.failedFuture(new RejectedException("bad_request", "invalid user id '" + u + "'"));
            }
        }
        if (all.size() > maxGroupMembers) {
            return CompletableFuture.failedFuture(new RejectedException("bad_request",
                    "group of " + all.size() + " members exceeds the limit of " + maxGroupMembers));
        }
        String id = "g:" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
        Conversation conv = new Conversation(id, Conversation.Kind.GROUP, title == null ? "" : title, new ArrayList<>(all));
        return enqueueGroup(conv, creator);
    }

    private void writerLoop() {
        List<O> batch = new ArrayList<>();
        while (true) {
            O first;
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
            queue.drainTo(batch, maxBatch - 1);
            runBatch(batch);
        }
        closed = true;
        failQueued();
    }

    /** Fails every op of a batch that did not commit: nothing of it is acknowledged. */
    protected static void failAll(List<? extends Op<?>> ops, StoreUnavailableException failure) {
        for (Op<?> op : ops) {
            op.future.completeExceptionally(failure);
        }
    }

    private void failQueued() {
        O op;
        while ((op = queue.poll()) != null) {
            op.future.completeExceptionally(new StoreUnavailableException("store is closed", null));
        }
    }

    // ---------------------------------------------------------------- reads (reader connections)

    /** Runs {@code q} on a reader connection and gives the connection back. */
    protected abstract <T> T withReader(Query<T> q) throws SQLException;

    protected final <T> T read(Query<T> q) {
        return read(q, false);
    }

    private <T> T read(Query<T> q, boolean mayLag) {
        // Checks closed, not closing: the writer still resolves conversations while it drains.
        if (closed) {
            throw new StoreUnavailableException("store is closed", null);
        }
        try {
            return mayLag ? withLaggingReader(q) : withReader(q);
        } catch (SQLException e) {
            throw new StoreUnavailableException("read failed: " + e.getMessage(), e);
        }
    }

    /**
     * Runs a read that may see a slightly older state (history pages): a subclass with a read
     * replica serves it there. Default: {@link #withReader}.
     */
    protected <T> T withLaggingReader(Query<T> q) throws SQLException {
        return withReader(q);
    }

    /** Maps columns conv, seq, sender, client_id, body, ts starting at {@code col}. */
    protected static StoredMessage message(ResultSet rs, int col) throws SQLException {
        return new StoredMessage(rs.getString(col), rs.getLong(col + 1), rs.getString(col + 3), rs.getString(col + 2),
                rs.getString(col + 4), rs.getLong(col + 5));
    }

    @Override
    public List<InboxEntry> readInbox(String user, long afterCursor, int limit) {
        return read(c -> {
            try (PreparedStatement ps = c.prepareStatement(readInboxSql)) {
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
        }, true);
    }

    @Override
    public Optional<Conversation> conversation(String id) {
        Optional<Conversation> direct = Conversations.parseDirect(id);
        if (direct.isPresent() || !Conversations.isGroupId(id)) {
            return direct;
        }
        long now = System.nanoTime();
        if (now - groupCacheSwept > groupCacheTtlNanos) {
            groupCacheSwept = now;
            groupEpoch.incrementAndGet();
            groupCache.clear();
        }
        Conversation cached = groupCache.get(id);
        if (cached != null) {
            return Optional.of(cached);
        }
        return read(c -> loadGroup(c, id));
    }

    /** Resolves a conversation on the given connection (the writer's, inside its transaction). */
    protected final Optional<Conversation> conversationOn(Connection c, String id) throws SQLException {
        if (!Conversations.isGroupId(id) || groupCache.containsKey(id)) {
            return conversation(id); // direct, not an id, or a cached group: no query
        }
        return loadGroup(c, id);
    }

    /** Loads a group and caches it unless an invalidation ran meanwhile. */
    private Optional<Conversation> loadGroup(Connection c, String id) throws SQLException {
        long epoch = groupEpoch.get();
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
        try (PreparedStatement ps = c.prepareStatement(groupMembersSql)) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    members.add(rs.getString(1));
                }
            }
        }
        Conversation conv = new Conversation(id, Conversation.Kind.GROUP, title, members);
        groupCache.put(id, conv);
        // An invalidation (a leave's commit) since we started may have been overtaken by our put:
        // take back what we read. Invalidations bump the epoch before they remove, so either they
        // remove our entry or we see the new epoch here.
        if (groupEpoch.get() != epoch) {
            groupCache.remove(id, conv);
        }
        return Optional.of(conv);
    }

    @Override
    public int groupCount(String user) {
        return read(c -> {
            try (var ps = c.prepareStatement(groupCountSql)) {
                ps.setString(1, user);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    @Override
    public List<Conversation> conversationsOf(String user) {
        List<String> ids = read(c -> {
            try (PreparedStatement ps = c.prepareStatement(conversationsOfSql)) {
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

    // ---------------------------------------------------------------- close

    /** Frees the subclass's connections and threads; the writer has stopped and the queue is failed. */
    protected abstract void closeResources();

    @Override
    public final void close() {
        if (closing) {
            return;
        }
        closing = true;
        try {
            writerThread.join(closeWaitMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closed = true;
        failQueued();
        closeResources();
    }
}
