package io.stickyring.chat.bus;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster {@link MessageBus} over core NATS: interest-based routing with one subject per user
 * ({@link NatsConfig#subject}). A node subscribes to a user's subject only while it declared
 * {@link #interest} in that user (the session registry does, while the user has a session here), so
 * a publish reaches exactly the nodes holding the user's sessions. Every event is handed to the one
 * sink ({@link #deliverTo}); the bus keeps the set of wanted users, never their listeners.
 *
 * <p>Local first: the connection is {@code noEcho}, and every event published here is handed to the
 * sink directly, so same-node delivery costs no network hop and survives a NATS outage; other nodes
 * get it through NATS. The sink therefore sees an event once.
 *
 * <p>NATS is a hint, the store is the truth, and this bus never reads the store. While the
 * connection is down (and for two rounds after it comes back, to cover pushes other nodes flushed
 * before this node re-subscribed), a fallback thread hands the sink a {@link BusEvent.Resync} for
 * each wanted user every {@code fallbackSync}, and one more once a new subscription is registered
 * at the server. Each session then heals from the store the way it heals any gap (the server's
 * {@code DeliveryCursor}: read the inbox head, read what lies after its cursor). The connection
 * reconnects forever; its state is exported as metrics ({@code stickyring_chat_bus_*}).
 */
public final class NatsMessageBus implements MessageBus {
    private static final Logger log = LoggerFactory.getLogger(NatsMessageBus.class);
    private static final int RESYNC_ROUNDS_AFTER_RECONNECT = 2;

    private final NatsConfig config;
    /** Set once by the first CONNECTED event; until then events go only to this node's sink. */
    private volatile Connection connection;
    private Dispatcher dispatcher;
    /** Users this node wants, with how many open {@link #interest} handles each; written under its lock. */
    private final Map<String, Integer> wanted = new ConcurrentHashMap<>();
    private volatile Consumer<BusEvent> sink = e -> { };
    /** Listeners of other nodes' group membership changes ({@link #subscribeGroupChanges}). */
    private final List<Consumer<String>> groupListeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger resyncRounds = new AtomicInteger();
    private final AtomicBoolean up = new AtomicBoolean();
    private final AtomicBoolean everUp = new AtomicBoolean();
    private final ScheduledExecutorService fallback;
    private volatile boolean closed;

    private final Gauge connected;
    private final Counter disconnects;
    private final Counter reconnects;
    private final Counter published;
    private final Counter publishFailures;
    private final Counter received;
    private final Counter undecodable;
    private final Gauge subscribedUsers;
    private final Counter fallbackChecks;
    private final Counter fallbackDeliveries;

    /**
     * Connects (or keeps trying in the background if NATS is down at start: the node serves anyway,
     * delivering through the fallback's resync hints); {@code registry} receives the bus metrics
     * (null: a private registry).
     */
    public NatsMessageBus(NatsConfig config, PrometheusRegistry registry) {
        this.config = config;
        PrometheusRegistry r = registry != null ? registry : new PrometheusRegistry();
        connected = Gauge.builder().name("stickyring_chat_bus_connected")
                .help("1 while the NATS connection is up, 0 while it is down or reconnecting").register(r);
        disconnects = Counter.builder().name("stickyring_chat_bus_disconnects")
                .help("NATS connection losses").register(r);
        reconnects = Counter.builder().name("stickyring_chat_bus_reconnects")
                .help("NATS reconnections after a loss").register(r);
        published = Counter.builder().name("stickyring_chat_bus_published")
                .help("Events handed to NATS for other nodes (buffered while disconnected)").register(r);
        publishFailures = Counter.builder().name("stickyring_chat_bus_publish_failures")
                .help("Events NATS refused (reconnect buffer full, connection closed); healed by the store").register(r);
        received = Counter.builder().name("stickyring_chat_bus_received")
                .help("Events received from other nodes through NATS").register(r);
        undecodable = Counter.builder().name("stickyring_chat_bus_undecodable")
                .help("NATS messages on our subjects that were not valid events (dropped)").register(r);
        subscribedUsers = Gauge.builder().name("stickyring_chat_bus_subscribed_users")
                .help("Users with a NATS subscription on this node (users with a session here)").register(r);
        fallbackChecks = Counter.builder().name("stickyring_chat_bus_fallback_checks")
                .help("Resync hints handed to a subscribed user's sessions (NATS down, just back, new subscription); each checks the store").register(r);
        fallbackDeliveries = Counter.builder().name("stickyring_chat_bus_fallback_deliveries")
                .help("Resync hints whose store check found messages the bus had not delivered (one per session)").register(r);

        Options options = new Options.Builder()
                .servers(config.servers().toArray(String[]::new))
                .connectionName("stickyring-chat")
                .noEcho()
                .maxReconnects(-1)
                .reconnectWait(config.reconnectWait())
                .connectionTimeout(config.connectTimeout())
                .reconnectBufferSize(config.reconnectBuffer())
                .connectionListener(this::onConnectionEvent)
                .errorListener(new ErrorListener() { })
                .build();
        try {
            // Asynchronous with reconnect-on-connect: a node starts even while NATS is down.
            Nats.connectAsynchronously(options, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted connecting to NATS", e);
        }
        this.fallback = Executors.newSingleThreadScheduledExecutor(run -> {
            Thread t = new Thread(run, "nats-fallback");
            t.setDaemon(true);
            return t;
        });
        long every = config.fallbackSync().toMillis();
        fallback.scheduleWithFixedDelay(this::fallbackRound, every, every, TimeUnit.MILLISECONDS);
    }

    private void onConnectionEvent(Connection conn, ConnectionListener.Events event) {
        switch (event) {
            // A connect that first failed (reconnect-on-connect) reports RECONNECTED, not CONNECTED.
            case CONNECTED, RECONNECTED -> {
                attach(conn);
                resyncRounds.set(RESYNC_ROUNDS_AFTER_RECONNECT);
                if (up.compareAndSet(false, true)) {
                    connected.set(1);
                    if (everUp.getAndSet(true)) {
                        reconnects.inc();
                    }
                    log.info("NATS connected to {}", conn.getConnectedUrl());
                }
            }
            case DISCONNECTED, CLOSED -> {
                // jnats reports DISCONNECTED again for every failed reconnect attempt: count the loss once.
                if (up.compareAndSet(true, false)) {
                    connected.set(0);
                    disconnects.inc();
                    if (!closed) {
                        log.warn("NATS connection lost; delivering through the store every {} ms until it is back",
                                config.fallbackSync().toMillis());
                    }
                }
            }
            default -> { }
        }
    }

    /** First connection: create the dispatcher and send the interest of every user seen so far. */
    private void attach(Connection conn) {
        synchronized (wanted) {
            if (connection != null) {
                return;
            }
            if (closed) {
                closeQuietly(conn);
                return;
            }
            dispatcher = conn.createDispatcher(this::onMessage);
            dispatcher.subscribe(config.groupsSubject());
            for (String user : wanted.keySet()) {
                dispatcher.subscribe(config.subject(user));
            }
            connection = conn;
        }
    }

    private static void closeQuietly(Connection conn) {
        try {
            conn.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void deliverTo(Consumer<BusEvent> sink) {
        this.sink = sink;
    }

    @Override
    public Subscription interest(String user) {
        synchronized (wanted) {
            Integer open = wanted.get(user);
            wanted.put(user, open == null ? 1 : open + 1);
            if (open == null) {
                // jnats remembers the interest and re-sends it after a reconnect.
                if (dispatcher != null) {
                    dispatcher.subscribe(config.subject(user));
                    fallback.execute(() -> confirmSubscription(user));
                }
                subscribedUsers.set(wanted.size());
            }
        }
        return new Subscription() {
            private boolean done;

            @Override
            public void close() {
                synchronized (wanted) {
                    if (done) {
                        return;
                    }
                    done = true;
                    Integer open = wanted.get(user);
                    if (open == null) {
                        return;
                    }
                    if (open > 1) {
                        wanted.put(user, open - 1);
                        return;
                    }
                    wanted.remove(user);
                    if (!closed && dispatcher != null) {
                        dispatcher.unsubscribe(config.subject(user));
                    }
                    subscribedUsers.set(wanted.size());
                }
            }
        };
    }

    @Override
    public void publish(BusEvent event) {
        deliverLocally(event);
        Connection conn = connection;
        if (closed) {
            return;
        }
        if (conn == null) {
            // Never connected yet: nobody else can hear it; the fallback on their side heals.
            publishFailures.inc();
            return;
        }
        try {
            conn.publish(config.subject(event.user()), BusEvents.encode(event));
            published.inc();
        } catch (IllegalStateException e) {
            // Reconnect buffer full or connection closed: the store still has it; the fallback heals.
            publishFailures.inc();
            log.debug("NATS publish for {} dropped: {}", event.user(), e.getMessage());
        }
    }

    @Override
    public void publishGroupChanged(String conv) {
        Connection conn = connection;
        if (closed || conn == null) {
            publishFailures.inc();
            return;
        }
        try {
            conn.publish(config.groupsSubject(), conv.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            published.inc();
        } catch (IllegalStateException e) {
            // Lost: the other nodes' stores reload cached member lists periodically.
            publishFailures.inc();
            log.debug("NATS group change for {} dropped: {}", conv, e.getMessage());
        }
    }

    @Override
    public Subscription subscribeGroupChanges(Consumer<String> handler) {
        groupListeners.add(handler);
        return () -> groupListeners.remove(handler);
    }

    private void onGroupChanged(Message msg) {
        received.inc();
        String conv = new String(msg.getData(), java.nio.charset.StandardCharsets.UTF_8);
        for (Consumer<String> h : groupListeners) {
            try {
                h.accept(conv);
            } catch (RuntimeException e) {
                log.warn("group change listener for {} failed: {}", conv, e.toString());
            }
        }
    }

    private void onMessage(Message msg) {
        if (msg.getSubject().equals(config.groupsSubject())) {
            onGroupChanged(msg);
            return;
        }
        BusEvent event;
        try {
            event = BusEvents.decode(msg.getData());
        } catch (RuntimeException e) {
            undecodable.inc();
            log.warn("dropping undecodable event on {}: {}", msg.getSubject(), e.getMessage());
            return;
        }
        if (!config.subject(event.user()).equals(msg.getSubject())) {
            undecodable.inc();
            log.warn("dropping event for {} that arrived on {}", event.user(), msg.getSubject());
            return;
        }
        received.inc();
        deliverLocally(event);
    }

    private void deliverLocally(BusEvent event) {
        try {
            sink.accept(event);
        } catch (RuntimeException e) {
            log.warn("bus sink for {} failed: {}", event.user(), e.toString());
        }
    }

    /**
     * A push published before the server registered this new interest is lost; once a round trip
     * proves the interest is registered, one resync hint has the sessions read anything committed
     * before then from the store.
     */
    private void confirmSubscription(String user) {
        Connection conn = connection;
        if (closed || conn == null || !wanted.containsKey(user)
                || conn.getStatus() != Connection.Status.CONNECTED) {
            // Down: the fallback rounds cover this user.
            return;
        }
        try {
            conn.flush(config.connectTimeout());
        } catch (Exception e) {
            // Down: the fallback rounds cover this user.
            return;
        }
        resync(user);
    }

    /** One fallback pass: only while NATS is down, or for a few rounds after it came back. */
    private void fallbackRound() {
        if (closed) {
            return;
        }
        boolean down = !isConnected();
        if (!down && resyncRounds.get() == 0) {
            return;
        }
        if (!down) {
            resyncRounds.decrementAndGet();
        }
        for (String user : wanted.keySet()) {
            resync(user);
        }
    }

    /** Tells {@code user}'s sessions that pushes may have been lost: each checks the store itself. */
    private void resync(String user) {
        fallbackChecks.inc();
        deliverLocally(new BusEvent.Resync(user, fallbackDeliveries::inc));
    }

    /**
     * Blocks until every subscription made so far is registered at the server (one round trip), or
     * the timeout passes; false if not connected. {@link #interest} does not wait for that (it runs
     * on event loops): a cross-node push published within that round trip is healed by the store
     * check that follows each new subscription instead.
     */
    public boolean awaitInterest(java.time.Duration timeout) {
        Connection conn = connection;
        if (conn == null || conn.getStatus() != Connection.Status.CONNECTED) {
            return false;
        }
        try {
            conn.flush(timeout);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Whether the NATS connection is up now. */
    public boolean isConnected() {
        Connection conn = connection;
        return conn != null && conn.getStatus() == Connection.Status.CONNECTED;
    }

    public NatsConfig config() {
        return config;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        fallback.shutdownNow();
        Connection conn;
        synchronized (wanted) {
            wanted.clear();
            conn = connection;
        }
        sink = e -> { };
        if (conn != null) {
            closeQuietly(conn);
        }
        connected.set(0);
    }

    @Override
    public String toString() {
        return "nats:" + config.servers() + "/" + config.prefix();
    }
}
