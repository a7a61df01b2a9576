package io.stickyring.chat.bus;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.stickyring.chat.store.MessageStore;

/** Opens the bus named by a {@code --bus} spec. */
public final class MessageBuses {
    private MessageBuses() {
    }

    /** As {@link #open(String, MessageStore, PrometheusRegistry)} with the bus metrics kept private. */
    public static MessageBus open(String spec, MessageStore store) {
        return open(spec, store, null);
    }

    /**
     * {@code local}: the in-process bus (single node). {@code sqlite}: in-process plus a 100 ms tail
     * of the SQLite store shared by several node processes on one machine (needs an sqlite: store).
     * {@code nats://HOST:PORT[,...][?...]}: NATS (see {@link NatsConfig}); {@code store} feeds its
     * fallback delivery while NATS is down and {@code registry} gets its metrics (null: private).
     */
    public static MessageBus open(String spec, MessageStore store, PrometheusRegistry registry) {
        if (spec.equals("local")) {
            return new LocalMessageBus();
        }
        if (spec.equals("sqlite")) {
            if (store instanceof io.stickyring.chat.store.SqliteMessageStore sqlite) {
                return new SqliteTailBus(sqlite, java.time.Duration.ofMillis(100));
            }
            throw new IllegalArgumentException("bus 'sqlite' needs an sqlite: store, not '" + store + "'");
        }
        if (spec.startsWith("nats://")) {
            return new NatsMessageBus(NatsConfig.parse(spec), store, registry);
        }
        throw new IllegalArgumentException("unsupported bus '" + spec + "' (expected local, sqlite or nats://HOST:PORT[,...])");
    }
}
