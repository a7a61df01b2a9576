package io.stickyring.chat.bus;

import io.stickyring.chat.server.SessionRegistry;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Bus tests listen the way a node does: through a {@link SessionRegistry} that is the bus's sink
 * (one per bus handle, as one per node).
 */
final class BusSubscriptions {
    private static final Map<MessageBus, SessionRegistry> REGISTRIES = Collections.synchronizedMap(new IdentityHashMap<>());

    private BusSubscriptions() {
    }

    /**
     * Delivers {@code user}'s events arriving on {@code bus} to {@code handler} until closed, except
     * {@link BusEvent.Resync} hints (a bus's own word to its sessions, not a published event).
     */
    static MessageBus.Subscription subscribe(MessageBus bus, String user, Consumer<BusEvent> handler) {
        return subscribeAll(bus, user, e -> {
            if (!(e instanceof BusEvent.Resync)) {
                handler.accept(e);
            }
        });
    }

    /** As {@link #subscribe}, resync hints included. */
    static MessageBus.Subscription subscribeAll(MessageBus bus, String user, Consumer<BusEvent> handler) {
        SessionRegistry registry = REGISTRIES.computeIfAbsent(bus, b -> new SessionRegistry(b, e -> { }));
        return registry.attach(user, handler::accept);
    }

    /** Forgets {@code bus}'s registry (call when closing it). */
    static void forget(MessageBus bus) {
        REGISTRIES.remove(bus);
    }
}
