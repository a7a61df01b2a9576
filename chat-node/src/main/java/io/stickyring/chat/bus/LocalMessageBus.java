package io.stickyring.chat.bus;

import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In-process {@link MessageBus} for a single node: publish hands the event to the sink (the node's
 * session registry) on the publishing thread (sessions hand off to their own event loop, so this
 * never blocks). Keeps no events and no per-user state: a user with no session here is dropped by
 * the sink and syncs from the store.
 */
public final class LocalMessageBus implements MessageBus {
    private static final Logger log = LoggerFactory.getLogger(LocalMessageBus.class);
    private static final Consumer<BusEvent> NOBODY = e -> { };
    private volatile Consumer<BusEvent> sink = NOBODY;

    @Override
    public void deliverTo(Consumer<BusEvent> sink) {
        this.sink = sink;
    }

    @Override
    public Subscription interest(String user) {
        // Every event reaches the sink anyway; nothing to route.
        return () -> { };
    }

    @Override
    public void publish(BusEvent event) {
        try {
            sink.accept(event);
        } catch (RuntimeException e) {
            log.warn("bus sink for {} failed: {}", event.user(), e.toString());
        }
    }

    @Override
    public void close() {
        sink = NOBODY;
    }
}
