package io.stickyring.chat.bus;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In-process {@link MessageBus} for a single node: publish calls each subscriber of the target user
 * on the publishing thread (subscribers hand off to their own event loop, so this never blocks).
 * Keeps no events: a user with no subscriber simply misses the hint and syncs from the store.
 */
public final class LocalMessageBus implements MessageBus {
    private static final Logger log = LoggerFactory.getLogger(LocalMessageBus.class);
    private final Map<String, List<Consumer<BusEvent>>> subscribers = new ConcurrentHashMap<>();

    @Override
    public Subscription subscribe(String user, Consumer<BusEvent> handler) {
        subscribers.computeIfAbsent(user, u -> new CopyOnWriteArrayList<>()).add(handler);
        return () -> subscribers.computeIfPresent(user, (u, list) -> {
            list.remove(handler);
            return list.isEmpty() ? null : list;
        });
    }

    @Override
    public void publish(BusEvent event) {
        List<Consumer<BusEvent>> list = subscribers.get(event.user());
        if (list == null) {
            return;
        }
        for (Consumer<BusEvent> h : list) {
            try {
                h.accept(event);
            } catch (RuntimeException e) {
                log.warn("bus subscriber for {} failed: {}", event.user(), e.toString());
            }
        }
    }

    /** Number of users with at least one subscriber (for tests and metrics). */
    public int subscribedUsers() {
        return subscribers.size();
    }

    @Override
    public void close() {
        subscribers.clear();
    }
}
