package io.stickyring.chat.server;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.StoredMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The latest inbox entries of recently active users, in memory, so pushes and short catch-ups
 * (a reconnect a few messages behind, a long poll) do not touch the store. Filled write-through,
 * once per delivery ({@link ChatService} says where); never the source of truth: a read is served
 * only when the cache holds the next cursor and a contiguous run after it, and the caller
 * confirms the tail with the store. Bounded: {@code maxUsers} users (LRU) x {@code perUser} entries.
 */
final class RecentInboxCache {
    private final int perUser;
    private final Cache<String, TreeMap<Long, StoredMessage>> users;
    private final java.util.concurrent.atomic.LongAdder fills = new java.util.concurrent.atomic.LongAdder();

    RecentInboxCache(int maxUsers, int perUser) {
        this.perUser = perUser;
        this.users = CacheBuilder.newBuilder().maximumSize(maxUsers).build();
    }

    void add(String user, long cursor, StoredMessage m) {
        fills.increment();
        TreeMap<Long, StoredMessage> ring = users.asMap().computeIfAbsent(user, u -> new TreeMap<>());
        synchronized (ring) {
            ring.put(cursor, m);
            while (ring.size() > perUser) {
                ring.pollFirstEntry();
            }
        }
    }

    /** How many times {@link #add} ran. */
    long fills() {
        return fills.sum();
    }

    /** Entries after {@code after}, contiguous from {@code after + 1}, at most {@code limit}; empty on a miss. */
    Optional<List<InboxEntry>> read(String user, long after, int limit) {
        TreeMap<Long, StoredMessage> ring = users.getIfPresent(user);
        if (ring == null) {
            return Optional.empty();
        }
        synchronized (ring) {
            if (!ring.containsKey(after + 1)) {
                return Optional.empty();
            }
            List<InboxEntry> out = new ArrayList<>();
            long expect = after + 1;
            for (Map.Entry<Long, StoredMessage> e : ring.tailMap(after + 1).entrySet()) {
                if (e.getKey() != expect || out.size() == limit) {
                    break;
                }
                out.add(new InboxEntry(e.getKey(), e.getValue()));
                expect++;
            }
            return Optional.of(out);
        }
    }
}
