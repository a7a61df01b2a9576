package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.bus.NatsTestServer;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.protocol.ErrorCodes;
import io.stickyring.chat.store.PostgresTestSchemas;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outages of the cluster's two services, each simulated without touching the machine's shared
 * servers: NATS is a private nats-server this test stops and restarts; PostgreSQL is reached
 * through a {@link TcpProxy} this test cuts (every pooled connection dies, new ones are refused).
 */
@Timeout(120)
class ClusterOutageTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<String> schemas = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        schemas.forEach(PostgresTestSchemas::drop);
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    private ChatNode node(String id, String store, String bus) throws Exception {
        return closeLater(TestNodes.start(dir, id, b -> {
            b.store = store;
            b.bus = bus;
            b.ratePerSecond = 100_000;
            b.rateBurst = 100_000;
        }));
    }

    /** The value of an unlabelled metric in the node's Prometheus text. */
    static double metric(ChatNode node, String name) {
        for (String line : new String(node.metrics().scrape(), StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no metric " + name);
    }

    @Test
    void whileNatsIsStoppedDeliveryFallsBackToTheStoreAndNothingIsLost() throws Exception {
        NatsTestServer nats = closeLater(NatsTestServer.start());
        String schema = PostgresTestSchemas.newSchema();
        schemas.add(schema);
        String store = PostgresTestSchemas.spec(schema, "");
        String bus = nats.url() + "?prefix=" + NatsTestServer.uniquePrefix() + "&fallbackSync=200ms&reconnectWait=100ms";
        ChatNode n1 = node("o1", store, bus);
        ChatNode n2 = node("o2", store, bus);
        await().atMost(Duration.ofSeconds(10)).until(() -> metric(n1, "stickyring_chat_bus_connected") == 1
                && metric(n2, "stickyring_chat_bus_connected") == 1);
        String dm = Conversations.dmId("alice", "bob");
        Device alice = closeLater(new Device("alice", ClusterProcessTest.TOKENS).connect(n1.address().getPort()));
        Device bob = closeLater(new Device("bob", ClusterProcessTest.TOKENS).connect(n2.address().getPort()));
        alice.sendAndAwaitAck("m0", dm, "before");
        bob.awaitMessages(1);
        assertThat(metric(n2, "stickyring_chat_bus_received_total")).isGreaterThanOrEqualTo(1);

        nats.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> metric(n1, "stickyring_chat_bus_connected") == 0
                && metric(n2, "stickyring_chat_bus_connected") == 0);
        assertThat(metric(n2, "stickyring_chat_bus_disconnects_total")).isEqualTo(1);
        double receivedBefore = metric(n2, "stickyring_chat_bus_received_total");
        for (int i = 1; i <= 20; i++) {
            alice.sendAndAwaitAck("m" + i, dm, "during outage " + i);
        }
        bob.awaitMessages(21);
        assertThat(metric(n2, "stickyring_chat_bus_fallback_deliveries_total")).isGreaterThanOrEqualTo(1);
        assertThat(metric(n2, "stickyring_chat_bus_received_total")).isEqualTo(receivedBefore);

        nats.restart();
        await().atMost(Duration.ofSeconds(20)).until(() -> metric(n1, "stickyring_chat_bus_connected") == 1
                && metric(n2, "stickyring_chat_bus_connected") == 1);
        assertThat(metric(n2, "stickyring_chat_bus_reconnects_total")).isEqualTo(1);
        for (int i = 21; i <= 25; i++) {
            alice.sendAndAwaitAck("m" + i, dm, "after " + i);
        }
        bob.awaitMessages(26);
        bob.fence();
        assertThat(bob.violations).isEmpty();
        assertThat(bob.msgs.keySet()).containsExactlyElementsOf(LongStream.rangeClosed(1, 26).boxed().toList());
        // Pushes travel through NATS again (the fallback only runs while it is down or just back).
        await().atMost(Duration.ofSeconds(10)).until(() -> metric(n2, "stickyring_chat_bus_received_total") > receivedBefore);
    }

    @Test
    void postgresCutDuringLoadGivesRetryableErrorsNeverAFalseAckAndTheSameIdsSucceedLater() throws Exception {
        TcpProxy proxy = closeLater(TcpProxy.start("127.0.0.1", 5432));
        String schema = PostgresTestSchemas.newSchema();
        schemas.add(schema);
        String base = PostgresTestSchemas.BASE.replace("127.0.0.1:5432", "127.0.0.1:" + proxy.port);
        String store = base + "?schema=" + schema + "&pool=3&connectTimeout=1s&socketTimeout=5s";
        ChatNode n = node("p1", store, "local");
        String dm = Conversations.dmId("alice", "bob");
        Device alice = closeLater(new Device("alice", ClusterProcessTest.TOKENS).connect(n.address().getPort()));
        Device bob = closeLater(new Device("bob", ClusterProcessTest.TOKENS).connect(n.address().getPort()));
        int total = 160;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            ids.add("p" + i);
        }
        for (int i = 0; i < 40; i++) {
            alice.send(ids.get(i), dm, "b" + i);
        }
        alice.awaitAcks(ids.subList(0, 20));
        proxy.cut();
        // Load keeps coming while the store is gone: every send gets an ack or a retryable error.
        for (int i = 40; i < 100; i++) {
            alice.send(ids.get(i), dm, "b" + i);
        }
        while (!ids.subList(0, 100).stream().allMatch(id -> alice.acks.containsKey(id) || alice.errors.containsKey(id))) {
            alice.take(alice.ws.next());
        }
        Map<String, JsonNode> acksBeforeRestore = new HashMap<>(alice.acks);
        assertThat(alice.errors).isNotEmpty();
        assertThat(alice.errors.values()).allMatch(e -> e.get("code").asText().equals(ErrorCodes.STORE_UNAVAILABLE));
        assertThat(alice.ws.isOpen()).isTrue();

        proxy.restore();
        // The client retries what failed with the same ids (a retry can still fail while the pool reconnects).
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            List<String> failed = new ArrayList<>(alice.errors.keySet());
            alice.errors.clear();
            for (String id : failed) {
                alice.send(id, dm, "retry");
            }
            while (!failed.stream().allMatch(id -> alice.acks.containsKey(id) || alice.errors.containsKey(id))) {
                alice.take(alice.ws.next());
            }
            return alice.errors.isEmpty();
        });
        for (int i = 100; i < total; i++) {
            alice.send(ids.get(i), dm, "b" + i);
        }
        alice.awaitAcks(ids);
        bob.awaitMessages(total);
        bob.fence();
        assertThat(bob.violations).isEmpty();
        assertThat(bob.ids()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(ids);
        // No false ack: every ack (during the outage too) names a committed row with the same seq.
        try (Connection c = PostgresTestSchemas.connect();
             PreparedStatement ps = c.prepareStatement("SELECT client_id, seq FROM " + schema + ".messages WHERE sender = 'alice'")) {
            Map<String, Long> stored = new HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    stored.put(rs.getString(1), rs.getLong(2));
                }
            }
            assertThat(stored).hasSize(total);
            for (String id : ids) {
                assertThat(alice.acks.get(id).get("seq").asLong()).as(id).isEqualTo(stored.get(id));
            }
            for (Map.Entry<String, JsonNode> a : acksBeforeRestore.entrySet()) {
                assertThat(alice.acks.get(a.getKey())).isEqualTo(a.getValue());
            }
        }
    }
}
