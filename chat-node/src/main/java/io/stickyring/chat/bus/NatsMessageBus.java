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
import java.time.Duration;
import java.util.ArrayList;
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
 * <p>One message per destination node. Each bus announces the users it wants on
 * {@code <prefix>.presence} ("+", "-", a full list "=" on connect and when asked, a heartbeat every
 * {@link #HEARTBEAT}) and listens on its own node subject {@code <prefix>.n.<key>}; every bus keeps
 * the others' announcements in a {@link NodeDirectory}. A {@link #publishAll} sends the events for
 * users the directory places on other nodes as one binary batch per node ({@link BusEvents#encodeBatch}),
 * and only the events for users it does not know to their own subjects (JSON, as before): an
 * unknown user costs a message per recipient, never a lost push. A node that starts wanting a user
 * another node already holds may miss pushes until publishers hear its "+"; it hands its
 * sessions a resync hint again {@link #PRESENCE_SETTLE} after the interest, so such a push is late, not lost. Both paths
 * run on one connection and one dispatcher, so per-publisher order holds across them.
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
    /** How often a bus tells the others it is alive (with its user count); silence for 3 of these drops its users. */
    static final Duration HEARTBEAT = Duration.ofSeconds(5);
    /** After a new interest, when the store is checked again for pushes sent before publishers heard of it. */
    static final Duration PRESENCE_SETTLE = Duration.ofMillis(500);
    /** Users per presence list message. */
    private static final int PRESENCE_CHUNK = 1000;
    /**
     * Messages queued for the NATS socket before new ones are dropped: publishes run on event loops
     * and bus threads, which must never block (a dropped push is healed from the store).
     */
    static final int OUTGOING_QUEUE = 65_536;

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
    /** This bus's key on the presence subject and in its node subject (random: a restart is a new node). */
    private final String nodeKey = java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private final NodeDirectory directory = new NodeDirectory();

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
    private final Counter nodeMessages;
    private final Gauge directoryNodes;

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

        nodeMessages = Counter.builder().name("stickyring_chat_bus_node_messages")
                .help("NATS messages sent to another node's subject, each carrying every event of one publish for users there").register(r);
        directoryNodes = Gauge.builder().name("stickyring_chat_bus_directory_nodes")
                .help("Other nodes whose users this node knows from their presence announcements").register(r);

        Options options = new Options.Builder()
                .servers(config.servers().toArray(String[]::new))
                .connectionName("stickyring-chat")
                .noEcho()
                .maxReconnects(-1)
                .reconnectWait(config.reconnectWait())
                .connectionTimeout(config.connectTimeout())
                .reconnectBufferSize(config.reconnectBuffer())
                .maxMessagesInOutgoingQueue(OUTGOING_QUEUE)
                .discardMessagesWhenOutgoingQueueFull()
                .connectionListener(this::onConnectionEvent)
                .errorListener(new ErrorListener() {
                    @Override
                    public void messageDiscarded(Connection conn, Message msg) {
                        publishFailures.inc();
                    }
                })
                .build();
        // Before connecting: presence handling (on the first connection's threads) uses it.
        this.fallback = Executors.newSingleThreadScheduledExecutor(run -> {
            Thread t = new Thread(run, "nats-fallback");
            t.setDaemon(true);
            return t;
        });
        try {
            // Asynchronous with reconnect-on-connect: a node starts even while NATS is down.
            Nats.connectAsynchronously(options, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted connecting to NATS", e);
        }
        long every = config.fallbackSync().toMillis();
        fallback.scheduleWithFixedDelay(this::fallbackRound, every, every, TimeUnit.MILLISECONDS);
        long beat = HEARTBEAT.toMillis();
        fallback.scheduleWithFixedDelay(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
    }

    private void onConnectionEvent(Connection conn, ConnectionListener.Events event) {
        switch (event) {
            // A connect that first failed (reconnect-on-connect) reports RECONNECTED, not CONNECTED.
            case CONNECTED, RECONNECTED -> {
                attach(conn);
                resyncRounds.set(RESYNC_ROUNDS_AFTER_RECONNECT);
                resyncPresence();
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
            dispatcher.subscribe(config.presenceSubject());
            dispatcher.subscribe(config.nodeSubject(nodeKey));
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
                    announce("+", List.of(user));
                    fallback.execute(() -> confirmSubscription(user));
                    fallback.schedule(() -> recheck(user), PRESENCE_SETTLE.toMillis(), TimeUnit.MILLISECONDS);
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
                        announce("-", List.of(user));
                    }
                    subscribedUsers.set(wanted.size());
                }
            }
        };
    }

    @Override
    public void publish(BusEvent event) {
        publishAll(List.of(event));
    }

    /**
     * Hands every event to this node's sink, then sends the others: one batch message per node the
     * directory places any of the users on, and each event for a user it does not know to that
     * user's subject.
     */
    @Override
    public void publishAll(List<? extends BusEvent> events) {
        for (BusEvent e : events) {
            deliverLocally(e);
        }
        Connection conn = connection;
        if (closed) {
            return;
        }
        if (conn == null) {
            // Never connected yet: nobody else can hear it; the fallback on their side heals.
            publishFailures.inc(events.size());
            return;
        }
        Map<String, List<BusEvent>> byNode = new java.util.LinkedHashMap<>();
        try {
            for (BusEvent e : events) {
                java.util.Set<String> nodes = directory.nodesOf(e.user());
                if (nodes.isEmpty()) {
                    conn.publish(config.subject(e.user()), BusEvents.encode(e));
                    published.inc();
                    continue;
                }
                for (String node : nodes) {
                    byNode.computeIfAbsent(node, k -> new ArrayList<>()).add(e);
                }
            }
            byNode.forEach((node, list) -> sendBatch(conn, node, list));
        } catch (IllegalStateException e) {
            // Connection closed: the store still has them; the fallback heals.
            publishFailures.inc();
            log.debug("NATS publish dropped: {}", e.getMessage());
        }
    }

    /** One message to {@code node}'s subject (split in halves while larger than NATS' max payload). */
    private void sendBatch(Connection conn, String node, List<BusEvent> list) {
        byte[] frame = BusEvents.encodeBatch(list);
        if (frame.length > conn.getMaxPayload() && list.size() > 1) {
            sendBatch(conn, node, list.subList(0, list.size() / 2));
            sendBatch(conn, node, list.subList(list.size() / 2, list.size()));
            return;
        }
        conn.publish(config.nodeSubject(node), frame);
        nodeMessages.inc();
        published.inc(list.size());
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
        if (msg.getSubject().equals(config.presenceSubject())) {
            onPresence(msg);
            return;
        }
        if (msg.getSubject().equals(config.nodeSubject(nodeKey))) {
            onBatch(msg);
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

    private void onBatch(Message msg) {
        List<BusEvent> events;
        try {
            events = BusEvents.decodeBatch(msg.getData());
        } catch (IllegalArgumentException e) {
            undecodable.inc();
            log.warn("dropping undecodable event batch: {}", e.getMessage());
            return;
        }
        received.inc(events.size());
        for (BusEvent e : events) {
            deliverLocally(e);
        }
    }

    // ------------------------------------------------------------------ presence

    /**
     * A presence message: first line {@code OP KEY [N]}, then one user per line. OP: {@code +} wants,
     * {@code -} no longer wants, {@code =} the node's full list (first chunk; later chunks are
     * {@code +}), {@code hb} alive with N users, {@code sync} asks every node for its full list,
     * {@code bye} leaving.
     */
    private void onPresence(Message msg) {
        String[] lines = new String(msg.getData(), java.nio.charset.StandardCharsets.UTF_8).split("\n");
        String[] head = lines[0].split(" ");
        if (head.length < 2) {
            undecodable.inc();
            return;
        }
        String op = head[0];
        String key = head[1];
        List<String> users = java.util.Arrays.asList(lines).subList(1, lines.length);
        long now = System.nanoTime();
        switch (op) {
            case "+" -> directory.add(key, users, now);
            case "-" -> directory.remove(key, users, now);
            case "=" -> directory.replace(key, users, now);
            case "bye" -> directory.drop(key);
            case "sync" -> {
                directory.heard(key, now);
                fallback.execute(this::announceAll);
            }
            case "hb" -> {
                directory.heard(key, now);
                if (head.length > 2 && directory.usersOf(key) != parseCount(head[2])) {
                    // Missed an announcement (e.g. a slow-consumer drop): ask for the lists again.
                    announce("sync", List.of());
                }
            }
            default -> undecodable.inc();
        }
        directoryNodes.set(directory.nodes());
    }

    private static int parseCount(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Publishes {@code OP KEY} and {@code users} on the presence subject (dropped when not connected). */
    private void announce(String op, List<String> users) {
        Connection conn = connection;
        if (closed || conn == null) {
            return;
        }
        StringBuilder b = new StringBuilder(op).append(' ').append(nodeKey);
        if (op.equals("hb")) {
            b.append(' ').append(wanted.size());
        }
        for (String u : users) {
            b.append('\n').append(u);
        }
        try {
            conn.publish(config.presenceSubject(), b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IllegalStateException e) {
            log.debug("presence {} dropped: {}", op, e.getMessage());
        }
    }

    /**
     * This node's full list: "=" with the first chunk, "+" with the rest. Under the lock of
     * {@code wanted}, like every "+" and "-", so the list and the changes reach the wire in the order
     * they happened (a heartbeat's count then matches what receivers have).
     */
    private void announceAll() {
        synchronized (wanted) {
            List<String> all = new ArrayList<>(wanted.keySet());
            announce("=", all.subList(0, Math.min(PRESENCE_CHUNK, all.size())));
            for (int i = PRESENCE_CHUNK; i < all.size(); i += PRESENCE_CHUNK) {
                announce("+", all.subList(i, Math.min(i + PRESENCE_CHUNK, all.size())));
            }
        }
    }

    /**
     * After a (re)connect: forget what others announced (it may have changed while this node could
     * not hear; unknown users go to their own subjects meanwhile), ask everyone for their lists, and
     * send this node's.
     */
    private void resyncPresence() {
        directory.clear();
        announce("sync", List.of());
        announceAll();
    }

    private void heartbeat() {
        if (closed) {
            return;
        }
        synchronized (wanted) {
            announce("hb", List.of());
        }
        directory.expire(System.nanoTime() - 3 * HEARTBEAT.toNanos());
        directoryNodes.set(directory.nodes());
    }

    /** The other nodes this bus would send {@code user}'s events to (tests). */
    java.util.Set<String> knownNodesOf(String user) {
        return directory.nodesOf(user);
    }

    /** The resync hint {@link #PRESENCE_SETTLE} after a new interest, if the interest is still there. */
    private void recheck(String user) {
        if (!closed && wanted.containsKey(user)) {
            resync(user);
        }
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
        announce("bye", List.of());
        Connection open = connection;
        if (open != null) {
            try {
                open.flush(Duration.ofMillis(500));
            } catch (Exception e) {
                // Not delivered: the others expire this node's entries after three heartbeats.
                log.debug("flush of goodbye: {}", e.toString());
            }
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
