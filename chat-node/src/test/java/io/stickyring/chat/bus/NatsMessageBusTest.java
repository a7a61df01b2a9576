package io.stickyring.chat.bus;

import static io.stickyring.chat.bus.BusSubscriptions.subscribe;
import static io.stickyring.chat.bus.BusSubscriptions.subscribeAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.stickyring.chat.model.StoredMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the bus contract on NATS (the machine's shared server, a subject prefix unique to each
 * test), plus what only a cluster bus has: delivery between two connections, interest-based
 * routing, no echo duplicates, and resync hints (never a store read) while a private NATS is
 * stopped. That a hint reaches the store through the session's {@code DeliveryCursor} is
 * {@code WebSocketSessionHandlerTest}'s and {@code ClusterOutageTest}'s subject.
 */
@Timeout(90)
class NatsMessageBusTest extends MessageBusContract {
    private final String prefix = NatsTestServer.uniquePrefix();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @Override
    protected MessageBus open() {
        NatsMessageBus b = openOn(NatsTestServer.SHARED, null, "");
        await().atMost(Duration.ofSeconds(10)).until(b::isConnected);
        return b;
    }

    /**
     * Another node's connection. Its interest also waits until the server registered the interest:
     * production interest does not wait (it runs on event loops) and heals that round trip's window
     * with a resync hint to the sessions, which read the store; this test has no sessions.
     */
    @Override
    protected MessageBus openPeer() {
        NatsMessageBus peer = (NatsMessageBus) open();
        return new MessageBus() {
            @Override
            public void deliverTo(java.util.function.Consumer<BusEvent> sink) {
                peer.deliverTo(sink);
            }

            @Override
            public Subscription interest(String user) {
                Subscription s = peer.interest(user);
                assertThat(peer.awaitInterest(Duration.ofSeconds(5))).isTrue();
                return s;
            }

            @Override
            public void publish(BusEvent event) {
                peer.publish(event);
            }

            @Override
            public void close() {
                peer.close();
            }
        };
    }

    private NatsMessageBus openOn(String url, PrometheusRegistry registry, String extra) {
        NatsMessageBus b = new NatsMessageBus(NatsConfig.parse(url + "?prefix=" + prefix + extra), registry);
        toClose.add(b);
        return b;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            AutoCloseable c = toClose.get(i);
            c.close();
            if (c instanceof MessageBus b) {
                BusSubscriptions.forget(b);
            }
        }
    }

    private static BusEvent.Delivery delivery(String user, long cursor) {
        return new BusEvent.Delivery(user, cursor, new StoredMessage("dm:a:b", cursor, "id" + cursor, "a", "body", 1L));
    }

    @Test
    void eventsCrossConnectionsOncePerListenerAndOnlyWhereThereIsInterest() {
        MessageBus a = openOn(NatsTestServer.SHARED, null, "");
        MessageBus b = openOn(NatsTestServer.SHARED, null, "");
        List<BusEvent> onA = new CopyOnWriteArrayList<>();
        List<BusEvent> onB = new CopyOnWriteArrayList<>();
        List<BusEvent> carolOnB = new CopyOnWriteArrayList<>();
        subscribe(a, "bob", onA::add);
        subscribe(b, "bob", onB::add);
        MessageBus.Subscription carol = subscribe(b, "carol", carolOnB::add);
        carol.close();
        // Subscriptions are asynchronous on the wire: wait until a probe crosses before counting.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            a.publish(delivery("bob", 0));
            return !onB.isEmpty();
        });
        for (int i = 1; i <= 50; i++) {
            a.publish(delivery("bob", i));
            a.publish(delivery("carol", i));
        }
        b.publish(delivery("bob", 51));
        // Probes (cursor 0) may still be in flight; count the real events only.
        await().atMost(Duration.ofSeconds(10)).until(() -> real(onA).size() == 51 && real(onB).size() == 51);
        // Each listener sees each event once, in per-publisher order (no echo copy of local deliveries).
        assertThat(real(onB)).filteredOn(c -> c <= 50)
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 50).boxed().toList());
        assertThat(carolOnB).isEmpty();
        b.publish(delivery("bob", 52));
        await().atMost(Duration.ofSeconds(10)).until(() -> real(onA).size() == 52);
        assertThat(real(onA)).doesNotHaveDuplicates().hasSize(52);
        assertThat(real(onB)).doesNotHaveDuplicates().hasSize(52);
    }

    /**
     * A publish of several events reaches each node holding any of their users as ONE NATS message
     * on that node's subject (not one per recipient on the users' subjects), in publish order;
     * a user no node announced still goes to the user's subject.
     */
    @Test
    void crossNodeDeliveryIsOneBusMessagePerDestinationNode() throws Exception {
        NatsMessageBus a = openOn(NatsTestServer.SHARED, null, "");
        NatsMessageBus b = openOn(NatsTestServer.SHARED, null, "");
        NatsMessageBus c = openOn(NatsTestServer.SHARED, null, "");
        await().atMost(Duration.ofSeconds(10)).until(() -> a.isConnected() && b.isConnected() && c.isConnected());
        List<BusEvent> onB = new CopyOnWriteArrayList<>();
        List<BusEvent> onC = new CopyOnWriteArrayList<>();
        subscribe(b, "bob", onB::add);
        subscribe(b, "carol", onB::add);
        subscribe(c, "dave", onC::add);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.knownNodesOf("bob").size() == 1
                && a.knownNodesOf("carol").equals(a.knownNodesOf("bob")) && a.knownNodesOf("dave").size() == 1);
        io.nats.client.Connection raw = io.nats.client.Nats.connect(NatsTestServer.SHARED);
        toClose.add(raw::close);
        java.util.Map<String, Integer> bySubject = new java.util.concurrent.ConcurrentHashMap<>();
        raw.createDispatcher(m -> bySubject.merge(m.getSubject().startsWith(prefix + ".n.") ? "node" : m.getSubject(), 1, Integer::sum))
                .subscribe(prefix + ".n.*").subscribe(prefix + ".u.*");
        raw.flush(Duration.ofSeconds(5));

        a.publishAll(List.of(delivery("bob", 1), delivery("carol", 1), delivery("dave", 1), delivery("bob", 2)));
        a.publish(delivery("erin", 1));
        await().atMost(Duration.ofSeconds(10)).until(() -> onB.size() == 3 && onC.size() == 1
                && bySubject.containsKey(prefix + ".u.erin"));
        assertThat(bySubject).containsExactlyInAnyOrderEntriesOf(java.util.Map.of("node", 2, prefix + ".u.erin", 1));
        assertThat(onB).extracting(e -> e.user() + ((BusEvent.Delivery) e).cursor()).containsExactly("bob1", "carol1", "bob2");
        assertThat(onC).extracting(BusEvent::user).containsExactly("dave");
    }

    /** A node that leaves (closes) is dropped from the others' directories: its users' events go to their subjects again. */
    @Test
    void aClosedNodeLeavesTheDirectory() {
        NatsMessageBus a = openOn(NatsTestServer.SHARED, null, "");
        NatsMessageBus b = openOn(NatsTestServer.SHARED, null, "");
        await().atMost(Duration.ofSeconds(10)).until(() -> a.isConnected() && b.isConnected());
        subscribe(b, "bob", e -> { });
        await().atMost(Duration.ofSeconds(10)).until(() -> a.knownNodesOf("bob").size() == 1);
        b.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> a.knownNodesOf("bob").isEmpty());
    }

    /** A node that connects later learns the users of the nodes already there (it asks for their lists). */
    @Test
    void aLateNodeLearnsWhoIsWhere() {
        NatsMessageBus b = openOn(NatsTestServer.SHARED, null, "");
        await().atMost(Duration.ofSeconds(10)).until(b::isConnected);
        subscribe(b, "bob", e -> { });
        NatsMessageBus late = openOn(NatsTestServer.SHARED, null, "");
        await().atMost(Duration.ofSeconds(10)).until(() -> late.knownNodesOf("bob").size() == 1);
    }

    private static List<Long> real(List<BusEvent> events) {
        return events.stream().map(e -> ((BusEvent.Delivery) e).cursor()).filter(c -> c > 0).toList();
    }

    @Test
    void usersWithDotsGetDistinctSubjects() {
        NatsConfig c = NatsConfig.parse("nats://h:1?prefix=p");
        assertThat(c.subject("a.b")).isEqualTo("p.u.a~b");
        assertThat(c.subject("a.b")).isNotEqualTo(c.subject("a"));
        MessageBus a = openOn(NatsTestServer.SHARED, null, "");
        MessageBus b = openOn(NatsTestServer.SHARED, null, "");
        List<BusEvent> dotted = new CopyOnWriteArrayList<>();
        List<BusEvent> plain = new CopyOnWriteArrayList<>();
        subscribe(b, ".a.b.", dotted::add);
        subscribe(b, "a", plain::add);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            a.publish(delivery(".a.b.", 1));
            return !dotted.isEmpty();
        });
        a.publish(delivery("a", 2));
        await().atMost(Duration.ofSeconds(10)).until(() -> plain.size() == 1);
        assertThat(dotted).allMatch(e -> e.user().equals(".a.b."));
    }

    @Test
    void specIsParsedAndBadValuesNamed() {
        NatsConfig c = NatsConfig.parse("nats://n1:4222,n2:4223?prefix=chat.prod&fallbackSync=250ms&reconnectBuffer=1024");
        assertThat(c.servers()).containsExactly("nats://n1:4222", "nats://n2:4223");
        assertThat(c.prefix()).isEqualTo("chat.prod");
        assertThat(c.fallbackSync()).isEqualTo(Duration.ofMillis(250));
        assertThat(NatsConfig.parse("nats://n1,nats://n2:5").servers()).containsExactly("nats://n1:4222", "nats://n2:5");
        assertThatThrownBy(() -> NatsConfig.parse("nats://h:1?prefix=a..b")).hasMessageContaining("prefix (a..b)");
        assertThatThrownBy(() -> NatsConfig.parse("nats://h:1?speed=9")).hasMessageContaining("'speed'");
        assertThatThrownBy(() -> NatsConfig.parse("nats://h:1?fallbackSync=0")).hasMessageContaining("fallbackSync (PT0S)");
        assertThatThrownBy(() -> MessageBuses.open("kafka://x", null)).hasMessageContaining("kafka://x");
    }

    @Test
    void whileNatsIsDownSessionsGetResyncHintsAndMetricsShowTheOutage() throws Exception {
        try (NatsTestServer nats = NatsTestServer.start()) {
            PrometheusRegistry registryB = new PrometheusRegistry();
            String fast = "&fallbackSync=100ms&reconnectWait=100ms";
            MessageBus a = openOn(nats.url(), null, fast);
            NatsMessageBus b = openOn(nats.url(), registryB, fast);
            List<BusEvent> bob = new CopyOnWriteArrayList<>();
            subscribeAll(b, "bob", bob::add);
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                a.publish(delivery("bob", 0));
                return bob.stream().anyMatch(e -> e instanceof BusEvent.Delivery);
            });
            assertThat(gauge(registryB, "stickyring_chat_bus_connected")).isEqualTo(1);

            nats.stop();
            await().atMost(Duration.ofSeconds(10)).until(() -> gauge(registryB, "stickyring_chat_bus_connected") == 0);
            assertThat(counter(registryB, "stickyring_chat_bus_disconnects")).isEqualTo(1);
            // Node A publishes into the void; B cannot know what it lost, so it tells bob's sessions
            // to check the store, every round, and counts the hints that found something.
            bob.clear();
            a.publish(delivery("bob", 1));
            await().atMost(Duration.ofSeconds(10)).until(() -> bob.stream().filter(e -> e instanceof BusEvent.Resync).count() >= 2);
            assertThat(bob).allMatch(e -> e instanceof BusEvent.Resync && e.user().equals("bob"));
            assertThat(counter(registryB, "stickyring_chat_bus_fallback_checks")).isGreaterThanOrEqualTo(2);
            ((BusEvent.Resync) bob.get(0)).healed().run();
            assertThat(counter(registryB, "stickyring_chat_bus_fallback_deliveries")).isEqualTo(1);

            nats.restart();
            await().atMost(Duration.ofSeconds(20)).until(() -> gauge(registryB, "stickyring_chat_bus_connected") == 1);
            assertThat(counter(registryB, "stickyring_chat_bus_reconnects")).isEqualTo(1);
            // Pushes flow through NATS again once both ends have re-subscribed.
            double receivedBefore = counter(registryB, "stickyring_chat_bus_received");
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                a.publish(delivery("bob", 99));
                return counter(registryB, "stickyring_chat_bus_received") > receivedBefore;
            });
        }
    }

    @Test
    void natsDownAtStartStillHintsTheSessions() throws Exception {
        NatsTestServer nats = NatsTestServer.start();
        nats.stop();
        try {
            PrometheusRegistry reg = new PrometheusRegistry();
            NatsMessageBus b = openOn(nats.url(), reg, "&fallbackSync=100ms&reconnectWait=100ms");
            assertThat(b.isConnected()).isFalse();
            List<BusEvent> bob = new CopyOnWriteArrayList<>();
            subscribeAll(b, "bob", bob::add);
            await().atMost(Duration.ofSeconds(10)).until(() -> bob.stream().anyMatch(e -> e instanceof BusEvent.Resync));
            nats.restart();
            await().atMost(Duration.ofSeconds(20)).until(b::isConnected);
            assertThat(gauge(reg, "stickyring_chat_bus_connected")).isEqualTo(1);
        } finally {
            nats.stop();
        }
    }

    static double gauge(PrometheusRegistry r, String name) {
        for (MetricSnapshot s : r.scrape()) {
            if (s instanceof GaugeSnapshot g && s.getMetadata().getName().equals(name)) {
                return g.getDataPoints().get(0).getValue();
            }
        }
        throw new AssertionError("no gauge " + name);
    }

    static double counter(PrometheusRegistry r, String name) {
        for (MetricSnapshot s : r.scrape()) {
            if (s instanceof CounterSnapshot c && s.getMetadata().getName().equals(name)) {
                return c.getDataPoints().get(0).getValue();
            }
        }
        throw new AssertionError("no counter " + name);
    }
}
