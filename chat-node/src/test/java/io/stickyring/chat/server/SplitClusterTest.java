package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.bus.NatsTestServer;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.store.PostgresTestSchemas;
import io.stickyring.membership.zk.ZkMembershipWatcher;
import io.stickyring.membership.zk.ZkSettings;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The split shape in separate processes: two edges ({@code --role edge}) and writers
 * ({@code --role writer}) on one PostgreSQL, NATS and ZooKeeper. Six users send direct and group
 * messages through the edges while a second writer joins (ownership of its share moves to it) and
 * then the first writer is killed with SIGKILL while sends are in flight (its share moves to the
 * survivor). Sends that fail
 * meanwhile would be resent with the same ids, as a client does, but none may: the sends in flight
 * at the killed writer are moved to the survivor by the edges' liveness probe. Afterwards: every acked message
 * delivered once to every member device, cursors contiguous on the devices and in the database,
 * one row per id, the edges committed no append, both writers committed some, and the writers'
 * ZooKeeper path is not the clients' one.
 */
@Timeout(240)
class SplitClusterTest {
    static final int ROUNDS = 60;

    /**
     * A second writer joins mid-load and takes its share; then the first writer leaves mid-load,
     * either killed ({@code SIGKILL}: no goodbye) or stopped ({@code SIGTERM}: it leaves ZooKeeper,
     * unsubscribes and completes its queued writes). Either way its share moves to the survivor and
     * every invariant holds.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "first writer leaves by {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"SIGKILL", "SIGTERM"})
    void writerJoinAndLeaveMoveOwnershipWithoutLossOrDuplicate(String leave) throws Exception {
        String schema = PostgresTestSchemas.newSchema();
        String store = PostgresTestSchemas.spec(schema, "");
        String bus = NatsTestServer.SHARED + "?prefix=" + NatsTestServer.uniquePrefix();
        List<ClusterNodeProcess> nodes = new ArrayList<>();
        List<Device> devices = new ArrayList<>();
        try (TestingServer zk = new TestingServer(true);
             ZkMembershipWatcher clients = ZkMembershipWatcher.create(ZkSettings.of(zk.getConnectString(), "chat"));
             ZkMembershipWatcher writers = ZkMembershipWatcher.create(ZkSettings.of(zk.getConnectString(), "chat-writers"))) {
            clients.start();
            writers.start();
            String[] zkArgs = {"--zk", zk.getConnectString(), "--cluster", "chat", "--zk-session-timeout", "4s"};
            ClusterNodeProcess w1 = start(nodes, "w1", store, bus, zkArgs, "writer");
            ClusterNodeProcess e1 = start(nodes, "e1", store, bus, zkArgs, "edge", "--writer-probe-delay", "200ms");
            ClusterNodeProcess e2 = start(nodes, "e2", store, bus, zkArgs, "edge", "--writer-probe-delay", "200ms");
            assertThat(metric(e1, "stickyring_chat_writer_probe_delay_seconds")).as("--writer-probe-delay reaches the routing store").isEqualTo(0.2);
            assertThat(metric(w1, "stickyring_chat_writer_probe_delay_seconds")).as("a writer with the default").isEqualTo(0.25);
            await().atMost(Duration.ofSeconds(30)).until(() -> ids(clients).equals(Set.of("e1", "e2")) && ids(writers).equals(Set.of("w1")));

            String p = "s" + System.nanoTime() % 100000 + "-";
            List<String> users = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                users.add(p + "u" + i);
            }
            String group = ClusterProcessTest.createGroup(e1.port, users.get(0), users.subList(1, 6).toArray(String[]::new));
            for (int i = 0; i < 6; i++) {
                devices.add(new Device(users.get(i), ClusterProcessTest.TOKENS).connect(i % 2 == 0 ? e1.port : e2.port));
            }
            Map<String, List<String>> sentBy = new HashMap<>();
            Map<String, String> convOf = new HashMap<>();
            ClusterNodeProcess w2 = null;
            for (int r = 0; r < ROUNDS; r++) {
                for (int i = 0; i < 6; i++) {
                    Device d = devices.get(i);
                    String id = d.user + "-" + r;
                    String conv = r % 4 == 0 ? group : Conversations.dmId(users.get(i), users.get((i + 1) % 6));
                    sentBy.computeIfAbsent(d.user, u -> new ArrayList<>()).add(id);
                    convOf.put(id, conv);
                    d.send(id, conv, "round " + r);
                    d.pollAvailable();
                }
                if (r == 15) {
                    settle(devices, sentBy, convOf);
                    assertThat(commits(w1)).as("w1 committed while alone").isPositive();
                    w2 = start(nodes, "w2", store, bus, zkArgs, "writer");
                    await().atMost(Duration.ofSeconds(30)).until(() -> ids(writers).equals(Set.of("w1", "w2")));
                }
                if (r == 36) {
                    settle(devices, sentBy, convOf);
                    assertThat(commits(w2)).as("w2 took over its share after joining").isPositive();
                }
                if (r == 40) {
                    // No settling first: this round's sends (and maybe earlier ones) are in flight.
                    if (leave.equals("SIGKILL")) {
                        w1.kill9();
                    } else {
                        w1.sigterm();
                    }
                }
            }
            int resent = settle(devices, sentBy, convOf);
            System.out.println("sends failed with store_unavailable and resent with the same id: " + resent);
            // The sends in flight at w1 when it died are not left to the 5 s request timeout: the
            // edges' probe (or the "no responders" of a later request to w1) moves them to w2,
            // which acks them (OwnerRoutedStore), so no send fails. A stopping w1 answers what it
            // took before it unsubscribed; later sends get "no responders" and go to w2.
            assertThat(resent).as("sends that failed with store_unavailable around the leave (%s)", leave).isZero();
            assertThat(ids(clients)).as("the clients' path never lists a writer").isEqualTo(Set.of("e1", "e2"));
            long w2Before = commits(w2);

            Map<String, Set<String>> expected = new HashMap<>();
            for (Map.Entry<String, String> e : convOf.entrySet()) {
                List<String> members = e.getValue().equals(group) ? users
                        : Conversations.parseDirect(e.getValue()).orElseThrow().members();
                for (String m : members) {
                    expected.computeIfAbsent(m, u -> new HashSet<>()).add(e.getKey());
                }
            }
            for (Device d : devices) {
                d.awaitMessages(expected.get(d.user).size());
            }
            for (Device d : devices) {
                d.fence();
                assertThat(d.violations).as(d.user).isEmpty();
                assertThat(new LinkedHashSet<>(d.ids())).as("ids of %s", d.user)
                        .hasSize(d.msgs.size()).containsExactlyInAnyOrderElementsOf(expected.get(d.user));
                for (JsonNode m : d.msgs.values()) {
                    String id = m.get("id").asText();
                    JsonNode ack = devices.get(users.indexOf(m.get("from").asText())).acks.get(id);
                    assertThat(ack.get("seq")).as(id).isEqualTo(m.get("seq"));
                    assertThat(ack.get("conv")).as(id).isEqualTo(m.get("conv"));
                }
            }
            // A resend of an acked id through the other edge gets the identical ack and stores nothing.
            Device d0 = devices.get(0);
            String firstId = sentBy.get(d0.user).get(0);
            JsonNode original = d0.acks.get(firstId);
            d0.close();
            d0.connect(e2.port);
            assertThat(d0.sendAndAwaitAck(firstId, convOf.get(firstId), "again")).isEqualTo(original);
            assertThat(commits(w2)).isGreaterThanOrEqualTo(w2Before);
            // Edges only committed the group creation: every append went to a writer.
            assertThat(commits(e1) + commits(e2)).isEqualTo(1);

            try (Connection c = PostgresTestSchemas.connect(); Statement st = c.createStatement()) {
                try (ResultSet rs = st.executeQuery("SELECT COUNT(*), COUNT(DISTINCT (sender, client_id)) FROM " + schema + ".messages")) {
                    rs.next();
                    assertThat(rs.getLong(1)).isEqualTo(convOf.size());
                    assertThat(rs.getLong(2)).isEqualTo(convOf.size());
                }
                try (ResultSet rs = st.executeQuery("SELECT conv, COUNT(*), MIN(seq), MAX(seq) FROM " + schema + ".messages GROUP BY conv")) {
                    while (rs.next()) {
                        assertThat(rs.getLong(3)).as(rs.getString(1)).isEqualTo(1);
                        assertThat(rs.getLong(4)).as(rs.getString(1)).isEqualTo(rs.getLong(2));
                    }
                }
                try (ResultSet rs = st.executeQuery("SELECT i.user_id, COUNT(*), MIN(i.cursor), MAX(i.cursor), h.head FROM "
                        + schema + ".inbox i JOIN " + schema + ".inbox_heads h USING (user_id) GROUP BY i.user_id, h.head")) {
                    int rows = 0;
                    while (rs.next()) {
                        rows++;
                        assertThat(rs.getLong(2)).as(rs.getString(1)).isEqualTo(expected.get(rs.getString(1)).size());
                        assertThat(rs.getLong(3)).isEqualTo(1);
                        assertThat(rs.getLong(4)).isEqualTo(rs.getLong(2)).isEqualTo(rs.getLong(5));
                    }
                    assertThat(rows).isEqualTo(6);
                }
            }
        } finally {
            devices.forEach(Device::close);
            nodes.forEach(ClusterNodeProcess::close);
            PostgresTestSchemas.drop(schema);
        }
    }

    private static ClusterNodeProcess start(List<ClusterNodeProcess> nodes, String id, String store, String bus, String[] zkArgs,
                                            String role, String... more) throws Exception {
        List<String> extra = new ArrayList<>(List.of(zkArgs));
        extra.addAll(List.of("--role", role));
        extra.addAll(List.of(more));
        ClusterNodeProcess n = ClusterNodeProcess.start(id, store, bus, extra.toArray(String[]::new));
        nodes.add(n);
        return n;
    }

    /**
     * Reads until every id sent so far has an ack or an error, resends the failed ones with the same
     * ids (what a client does with store_unavailable), and repeats until every id is acked.
     */
    static int settle(List<Device> devices, Map<String, List<String>> sentBy, Map<String, String> convOf) {
        int resent = 0;
        for (Device d : devices) {
            List<String> ids = sentBy.get(d.user);
            while (true) {
                while (!ids.stream().allMatch(id -> d.acks.containsKey(id) || d.errors.containsKey(id))) {
                    d.take(d.ws.next());
                }
                List<String> failed = ids.stream().filter(id -> !d.acks.containsKey(id)).toList();
                if (failed.isEmpty()) {
                    break;
                }
                for (String id : failed) {
                    assertThat(d.errors.get(id).path("code").asText()).as("error for %s", id).isEqualTo("store_unavailable");
                    d.errors.remove(id);
                    d.send(id, convOf.get(id), "retry");
                    resent++;
                }
            }
        }
        return resent;
    }

    static Set<String> ids(ZkMembershipWatcher w) {
        return w.current().map(v -> {
            Set<String> s = new HashSet<>();
            v.members().forEach(m -> s.add(m.id()));
            return s;
        }).orElse(Set.of());
    }

    /** Appends and group creations this node's own store committed (its commit batch size sum). */
    static long commits(ClusterNodeProcess n) throws Exception {
        return (long) metric(n, "stickyring_chat_commit_batch_size_sum");
    }

    /** One unlabelled sample of {@code name} from the node's /metrics. */
    static double metric(ClusterNodeProcess n, String name) throws Exception {
        HttpResponse<String> res = WsClient.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.adminPort + "/metrics"))
                .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
        for (String line : res.body().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
            }
        }
        throw new AssertionError("node " + n.id + " /metrics has no " + name + " (status " + res.statusCode() + ")");
    }
}
