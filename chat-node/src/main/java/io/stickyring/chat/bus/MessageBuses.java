package io.stickyring.chat.bus;

/** Opens the bus named by a {@code --bus} spec. */
public final class MessageBuses {
    private MessageBuses() {
    }

    /**
     * {@code local}: the in-process bus (single node). {@code sqlite}: in-process plus a 100 ms tail
     * of the SQLite store shared by several node processes on one machine (needs an sqlite: store).
     */
    public static MessageBus open(String spec, io.stickyring.chat.store.MessageStore store) {
        if (spec.equals("local")) {
            return new LocalMessageBus();
        }
        if (spec.equals("sqlite")) {
            if (store instanceof io.stickyring.chat.store.SqliteMessageStore sqlite) {
                return new SqliteTailBus(sqlite, java.time.Duration.ofMillis(100));
            }
            throw new IllegalArgumentException("bus 'sqlite' needs an sqlite: store, not '" + store + "'");
        }
        throw new IllegalArgumentException("unsupported bus '" + spec + "' (expected local or sqlite)");
    }
}
