package io.stickyring.chat.server;

import io.stickyring.chat.bus.BusEvent;
import io.stickyring.chat.bus.MessageBus;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Consumer;

/**
 * The node's one fan-out list: who on this node wants events for which user (WebSocket sessions and
 * long-poll waiters). It is the bus's only sink ({@link MessageBus#deliverTo}); the buses keep no
 * per-user listeners of their own. Holds exactly one bus {@link MessageBus#interest} per user with at
 * least one listener (interest-based routing: a cluster bus then carries a user's events only to
 * nodes where that user is connected). Events for users with no listener here are dropped.
 */
public final class SessionRegistry {
    /** Receives a user's bus events; must not block (hand off to an event loop). */
    public interface Listener {
        void onEvent(BusEvent event);
    }

    private static final class Entry {
        final Set<Listener> listeners = new CopyOnWriteArraySet<>();
        MessageBus.Subscription interest;
    }

    private final MessageBus bus;
    private final Consumer<BusEvent> tap;
    /** Written under this object's lock; read without it by {@link #has} and {@link #deliver}. */
    private final Map<String, Entry> users = new ConcurrentHashMap<>();

    /**
     * Becomes {@code bus}'s sink. {@code tap} sees every event delivered to a listener here before
     * the listeners do (e.g. to fill a cache).
     */
    public SessionRegistry(MessageBus bus, Consumer<BusEvent> tap) {
        this.bus = bus;
        this.tap = tap;
        bus.deliverTo(this::deliver);
    }

    /** The bus sink: hands {@code event} to each listener of its user, in the bus's order. */
    private void deliver(BusEvent event) {
        Entry e = users.get(event.user());
        if (e == null) {
            return;
        }
        tap.accept(event);
        e.listeners.forEach(l -> l.onEvent(event));
    }

    /**
     * Starts delivering {@code user}'s events to {@code listener}; declares interest on the bus for
     * the first one. Closing the returned handle is {@link #detach}.
     */
    public synchronized MessageBus.Subscription attach(String user, Listener listener) {
        Entry e = users.get(user);
        if (e == null) {
            Entry created = new Entry();
            created.listeners.add(listener);
            users.put(user, created);
            created.interest = bus.interest(user);
        } else {
            e.listeners.add(listener);
        }
        return () -> detach(user, listener);
    }

    /** Stops delivering to {@code listener}; withdraws the user's interest after the last one. Idempotent. */
    public synchronized void detach(String user, Listener listener) {
        Entry e = users.get(user);
        if (e == null || !e.listeners.remove(listener)) {
            return;
        }
        if (e.listeners.isEmpty()) {
            users.remove(user);
            e.interest.close();
        }
    }

    public boolean has(String user) {
        return users.containsKey(user);
    }

    public int users() {
        return users.size();
    }
}
