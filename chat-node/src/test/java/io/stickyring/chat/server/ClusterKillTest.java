package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.bus.NatsTestServer;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.store.PostgresTestSchemas;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kill -9 of one of three node processes (PostgreSQL + NATS) while six users send through all of
 * them: the victim's clients reconnect to a survivor, resume from their cursor and resend what was
 * not acked (and some of what was). Afterwards: zero acked messages lost, zero duplicates shown to
 * any device, every cursor contiguous (on the devices and in the database), resends of acked ids
 * answered with the original ack.
 */
@Timeout(180)
class ClusterKillTest {
    static final int ROUNDS = 60;

    @Test
    void killDashNineOfANodeUnderLoadLosesAndDuplicatesNothing() throws Exception {
        String schema = PostgresTestSchemas.newSchema();
        String store = PostgresTestSchemas.spec(schema, "");
        String bus = NatsTestServer.SHARED + "?prefix=" + NatsTestServer.uniquePrefix();
        List<ClusterNodeProcess> nodes = new ArrayList<>();
        List<Device> devices = new ArrayList<>();
        try {
            for (String id : List.of("k1", "k2", "k3")) {
                nodes.add(ClusterNodeProcess.start(id, store, bus));
            }
            String p = "k" + System.nanoTime() % 100000 + "-";
            List<String> users = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                users.add(p + "u" + i);
            }
            String group = ClusterProcessTest.createGroup(nodes.get(0).port, users.get(0),
                    users.subList(1, 6).toArray(String[]::new));
            for (int i = 0; i < 6; i++) {
                devices.add(new Device(users.get(i), ClusterProcessTest.TOKENS).connect(nodes.get(i % 3).port));
            }
            Map<String, List<String>> sentBy = new HashMap<>();
            Map<String, String> convOf = new HashMap<>();
            Map<String, JsonNode> firstAcks = new HashMap<>();
            int victim = 2;
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
                if (r == ROUNDS / 2) {
                    // Wait until the victim's clients have some acks, so the kill hits acked and in-flight sends.
                    for (int i = victim; i < 6; i += 3) {
                        Device d = devices.get(i);
                        d.awaitAcks(sentBy.get(d.user).subList(0, 10));
                    }
                    nodes.get(victim).kill9();
                    for (int i = victim; i < 6; i += 3) {
                        Device d = devices.get(i);
                        d.takeUntilClosed();
                        d.close();
                        firstAcks.putAll(d.acks);
                        // Reconnect to a survivor, resume after the last cursor, resend everything not
                        // acked and, as a client unsure of its acks would, the acked ones too.
                        d.connect(nodes.get(0).port);
                        for (String id : sentBy.get(d.user)) {
                            d.send(id, convOf.get(id), "retry");
                        }
                    }
                }
            }
            for (Device d : devices) {
                d.awaitAcks(sentBy.get(d.user));
            }
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
                // Every ack names the (conv, seq) the message was delivered with.
                for (JsonNode m : d.msgs.values()) {
                    String id = m.get("id").asText();
                    Device sender = devices.get(users.indexOf(m.get("from").asText()));
                    JsonNode ack = sender.acks.get(id);
                    assertThat(ack.get("seq")).as(id).isEqualTo(m.get("seq"));
                    assertThat(ack.get("conv")).as(id).isEqualTo(m.get("conv"));
                }
            }
            assertThat(firstAcks).hasSizeGreaterThanOrEqualTo(20);
            for (Map.Entry<String, JsonNode> a : firstAcks.entrySet()) {
                Device sender = devices.get(users.indexOf(a.getValue().get("id").asText().replaceAll("-\\d+$", "")));
                assertThat(sender.acks.get(a.getKey())).as("ack of %s after the retry", a.getKey()).isEqualTo(a.getValue());
            }
            try (Connection c = PostgresTestSchemas.connect(); Statement st = c.createStatement()) {
                try (ResultSet rs = st.executeQuery("SELECT COUNT(*), COUNT(DISTINCT (sender, client_id)) FROM " + schema + ".messages")) {
                    rs.next();
                    assertThat(rs.getLong(1)).isEqualTo(convOf.size());
                    assertThat(rs.getLong(2)).isEqualTo(convOf.size());
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
}
