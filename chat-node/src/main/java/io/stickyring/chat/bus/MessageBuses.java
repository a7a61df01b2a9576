package io.stickyring.chat.bus;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.stickyring.chat.store.MessageStore;

/** Opens the bus named by a {@code --bus} spec. */
public final class MessageBuses {
    private MessageBuses() {
    }

    /** {@code local}: the in-process bus (single node). */
    public static MessageBus open(String spec) {
        return open(spec, null, null);
    }

    /**
     * {@code local}: the in-process bus (single node). {@code nats://HOST:PORT[,...][?...]}: NATS
     * (see {@link NatsConfig}); {@code store} feeds its fallback delivery while NATS is down and
     * {@code registry} gets its metrics (either may be null).
     */
    public static MessageBus open(String spec, MessageStore store, PrometheusRegistry registry) {
        if (spec.equals("local")) {
            return new LocalMessageBus();
        }
        if (spec.startsWith("nats://")) {
            return new NatsMessageBus(NatsConfig.parse(spec), store, registry);
        }
        throw new IllegalArgumentException("unsupported bus '" + spec + "' (expected local or nats://HOST:PORT[,...])");
    }
}
