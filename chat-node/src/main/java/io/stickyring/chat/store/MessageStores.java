package io.stickyring.chat.store;

import java.nio.file.Path;
import java.time.Clock;

/** Opens the store named by a {@code --store} spec. */
public final class MessageStores {
    private MessageStores() {
    }

    /**
     * {@code sqlite:PATH} opens (creating if needed) an embedded SQLite store. {@code commitMaxBatch}
     * bounds group commit (1 = one commit per write).
     */
    public static MessageStore open(String spec, int commitMaxBatch, StoreMetrics metrics) {
        if (spec.startsWith("sqlite:") && spec.length() > "sqlite:".length()) {
            Path path = Path.of(spec.substring("sqlite:".length()));
            return new SqliteMessageStore(SqliteMessageStore.Config.defaults(path).withMaxBatch(commitMaxBatch),
                    Clock.systemUTC(), metrics);
        }
        throw new IllegalArgumentException("unsupported store '" + spec + "' (expected sqlite:PATH)");
    }
}
