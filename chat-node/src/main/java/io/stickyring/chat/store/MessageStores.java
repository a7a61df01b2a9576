package io.stickyring.chat.store;

import java.nio.file.Path;
import java.time.Clock;

/** Opens the store named by a {@code --store} spec. */
public final class MessageStores {
    /**
     * JVM property: how long (ms) a store uses a cached group member list before rereading it,
     * the backstop for a lost leave notice; default 10000. Read when a store opens.
     */
    public static final String GROUP_CACHE_TTL_PROPERTY = "stickyring.chat.groupCacheTtlMs";

    private MessageStores() {
    }

    /**
     * {@code sqlite:PATH} opens (creating if needed) an embedded SQLite store. {@code commitMaxBatch}
     * bounds group commit (1 = one commit per write). {@code postgresql://...} opens the shared
     * cluster store (see {@link PostgresConfig} for the URI's parameters).
     */
    public static MessageStore open(String spec, int commitMaxBatch, StoreMetrics metrics) {
        if (spec.startsWith("sqlite:") && spec.length() > "sqlite:".length()) {
            Path path = Path.of(spec.substring("sqlite:".length()));
            return new SqliteMessageStore(SqliteMessageStore.Config.defaults(path).withMaxBatch(commitMaxBatch),
                    Clock.systemUTC(), metrics);
        }
        if (spec.startsWith("postgresql://")) {
            return new PostgresMessageStore(PostgresConfig.parse(spec, commitMaxBatch), Clock.systemUTC(), metrics);
        }
        throw new IllegalArgumentException("unsupported store '" + PostgresConfig.redact(spec)
                + "' (expected sqlite:PATH or postgresql://HOST[:PORT]/DB[?...])");
    }
}
