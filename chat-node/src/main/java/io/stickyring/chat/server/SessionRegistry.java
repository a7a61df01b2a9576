package io.stickyring.chat.server;

import io.stickyring.chat.bus.BusEvent;
import io.stickyring.chat.bus.MessageBus;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * Who on this node wants events for which user: WebSocket sessions and long-poll waiters. Holds
 * exactly one bus subscription per user with at least one listener (interest-based routing: a
 * cluster bus then carries a user's events only to nodes where that user is connected).
 */
public final class SessionRegistry {
    /** Receives a user's bus events; must not block (hand off to an event loop). */
    public interface Listener {
        void onEvent(BusEvent event);
    }

    private static final class Entry {
        final Set<Listener> listeners = new CopyOnWriteArraySet<>();
        MessageBus.Subscription subscription;
    }

    private final MessageBus bus;
    private final java.util.function.Consumer<BusEvent> tap;
    /** Written under this object's lock; read without it by {@link #has} (on the send path). */
    private final Map<String, Entry> users = new ConcurrentHashMap<>();

    /** {@code tap} sees every event this node receives before the listeners do (e.g. to fill a cache). */
    public SessionRegistry(MessageBus bus, java.util.function.Consumer<BusEvent> tap) {
        this.bus = bus;
        this.tap = tap;
    }

    /** Starts delivering {@code user}'s events to {@code listener}; subscribes on the bus for the first one. */
    public synchronized void attach(String user, Listener listener) {
        Entry e = users.get(user);
        if (e == null) {
            Entry created = new Entry();
            users.put(user, created);
            created.listeners.add(listener);
            created.subscription = bus.subscribe(user, ev -> {
                tap.accept(ev);
                created.listeners.forEach(l -> l.onEvent(ev));
            });
            return;
        }
        e.listeners.add(listener);
    }

    /** Stops delivering to {@code listener}; unsubscribes the user after the last one. Idempotent. */
    public synchronized void detach(String user, Listener listener) {
        Entry e = users.get(user);
        if (e == null || !e.listeners.remove(listener)) {
            return;
        }
        if (e.listeners.isEmpty()) {
            users.remove(user);
            e.subscription.close();
        }
    }

    public boolean has(String user) {
        return users.containsKey(user);
    }

    public int users() {
        return users.size();
    }
}
