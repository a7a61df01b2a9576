package io.stickyring.chat.bus;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.stickyring.chat.model.InboxFeed;
import java.time.Duration;

/** Opens the bus named by a {@code --bus} spec. */
public final class MessageBuses {
    private MessageBuses() {
    }

    /** As {@link #open(String, InboxFeed, PrometheusRegistry)} with the bus metrics kept private. */
    public static MessageBus open(String spec, InboxFeed feed) {
        return open(spec, feed, null);
    }

    /**
     * {@code local}: the in-process bus (single node). {@code sqlite}: in-process plus a 100 ms tail
     * of {@code feed}, the inbox feed of a store shared by several node processes on one machine
     * (the store's {@code inboxFeed()}: an sqlite: store has one; null when the store has none).
     * {@code nats://HOST:PORT[,...][?...]}: NATS (see {@link NatsConfig}); {@code registry} gets its
     * metrics (null: private).
     */
    public static MessageBus open(String spec, InboxFeed feed, PrometheusRegistry registry) {
        if (spec.equals("local")) {
            return new LocalMessageBus();
        }
        if (spec.equals("sqlite")) {
            if (feed == null) {
                throw new IllegalArgumentException("bus 'sqlite' needs an sqlite: store (it tails the store's shared file)");
            }
            return new SqliteTailBus(feed, Duration.ofMillis(100));
        }
        if (spec.startsWith("nats://")) {
            return new NatsMessageBus(NatsConfig.parse(spec), registry);
        }
        throw new IllegalArgumentException("unsupported bus '" + spec + "' (expected local, sqlite or nats://HOST:PORT[,...])");
    }
}
