package io.stickyring.chat.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.stickyring.chat.bus.NatsConfig;
import io.stickyring.chat.bus.NatsTestServer;
import io.stickyring.chat.model.Ack;
import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.store.MessageStore;
import io.stickyring.chat.store.PostgresMessageStore;
import io.stickyring.chat.store.PostgresTestSchemas;
import io.stickyring.membership.zk.ZkSettings;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Writer ownership against real PostgreSQL, NATS and ZooKeeper, in process: two writers that both
 * believe they own the same conversations (as during a membership change, when edges hold
 * different views) commit concurrently and seq and inbox cursors stay dense with one message per
 * id; an edge routes by the ring, falls over to the next writer when the owner has gone, and
 * commits itself when no writer is listed or none answers.
 */
@Timeout(120)
class OwnerRaceTest {

    @Test
    void twoOwnersRacingOnTheSameConversationsKeepSeqAndCursorsDense() throws Exception {
        String schema = PostgresTestSchemas.newSchema();
        String prefix = NatsTestServer.uniquePrefix();
        NatsConfig nats = NatsConfig.parse(NatsTestServer.SHARED + "?prefix=" + prefix);
        List<ClusterRouting> writers = new ArrayList<>();
        try (TestingServer zk = new TestingServer(true);
             Connection client = Nats.connect(NatsTestServer.SHARED)) {
            ZkSettings settings = ZkSettings.of(zk.getConnectString(), "race");
            try {
                for (String id : List.of("wa", "wb")) {
                    MessageStore local = new PostgresMessageStore(PostgresTestSchemas.config(schema, ""));
                    ClusterRouting r = ClusterRouting.start(NodeRole.WRITER, id, settings, nats, local);
                    r.registerWriter("127.0.0.1", 1, 1, "", "test");
                    writers.add(r);
                }
                String p = "r" + System.nanoTime() % 100000 + "-";
                List<String> users = List.of(p + "a", p + "b", p + "c", p + "d");
                List<String> convs = List.of(Conversations.dmId(users.get(0), users.get(1)), Conversations.dmId(users.get(0), users.get(2)),
                        Conversations.dmId(users.get(1), users.get(2)), Conversations.dmId(users.get(2), users.get(3)));
                // Every send goes to BOTH writers at once (two edges with two views): each id is raced.
                List<CompletableFuture<io.nats.client.Message>> replies = new ArrayList<>();
                Map<String, List<Integer>> replyIndexOf = new HashMap<>();
                int n = 0;
                for (int round = 0; round < 60; round++) {
                    for (int k = 0; k < convs.size(); k++) {
                        String conv = convs.get(k);
                        String sender = Conversations.parseDirect(conv).orElseThrow().members().get(round % 2);
                        String id = "m" + round + "-" + k;
                        byte[] req = AppendCodec.request(new SendRequest(sender, id, conv, "body " + id));
                        for (String w : List.of("wa", "wb")) {
                            replies.add(client.request(OwnerRoutedStore.subject(prefix, w), req));
                            replyIndexOf.computeIfAbsent(sender + "/" + id, x -> new ArrayList<>()).add(replies.size() - 1);
                        }
                        n++;
                    }
                }
                Map<String, Ack> ackOf = new HashMap<>();
                for (Map.Entry<String, List<Integer>> e : replyIndexOf.entrySet()) {
                    Set<Ack> acks = new java.util.HashSet<>();
                    int firsts = 0;
                    for (int i : e.getValue()) {
                        AppendResult r = AppendCodec.reply(replies.get(i).get(30, TimeUnit.SECONDS).getData());
                        acks.add(r.ack());
                        firsts += r.duplicate() ? 0 : 1;
                    }
                    assertThat(acks).as("both writers answer %s with one ack", e.getKey()).hasSize(1);
                    assertThat(firsts).as("exactly one writer stored %s", e.getKey()).isEqualTo(1);
                    ackOf.put(e.getKey(), acks.iterator().next());
                }
                assertThat(ackOf).hasSize(n);
                try (java.sql.Connection c = PostgresTestSchemas.connect(); Statement st = c.createStatement()) {
                    try (ResultSet rs = st.executeQuery("SELECT conv, COUNT(*), MIN(seq), MAX(seq) FROM " + schema + ".messages GROUP BY conv")) {
                        int rows = 0;
                        while (rs.next()) {
                            rows++;
                            assertThat(rs.getLong(2)).isEqualTo(60);
                            assertThat(rs.getLong(3)).isEqualTo(1);
                            assertThat(rs.getLong(4)).isEqualTo(60);
                        }
                        assertThat(rows).isEqualTo(convs.size());
                    }
                    try (ResultSet rs = st.executeQuery("SELECT i.user_id, COUNT(*), COUNT(DISTINCT (i.conv, i.seq)), MIN(i.cursor), MAX(i.cursor), h.head FROM "
                            + schema + ".inbox i JOIN " + schema + ".inbox_heads h USING (user_id) GROUP BY i.user_id, h.head")) {
                        while (rs.next()) {
                            assertThat(rs.getLong(3)).as(rs.getString(1)).isEqualTo(rs.getLong(2));
                            assertThat(rs.getLong(4)).isEqualTo(1);
                            assertThat(rs.getLong(5)).isEqualTo(rs.getLong(2)).isEqualTo(rs.getLong(6));
                        }
                    }
                }
            } finally {
                // Before ZooKeeper stops, so the registrations leave without retrying.
                writers.forEach(w -> w.store().close());
            }
        } finally {
            PostgresTestSchemas.drop(schema);
        }
    }

    @Test
    void anEdgeRoutesByTheRingFallsOverWhenTheOwnerIsGoneAndCommitsItselfWithoutAWriter() throws Exception {
        String schema = PostgresTestSchemas.newSchema();
        NatsConfig nats = NatsConfig.parse(NatsTestServer.SHARED + "?prefix=" + NatsTestServer.uniquePrefix());
        ClusterRouting edge = null;
        ClusterRouting wa = null;
        ClusterRouting wb = null;
        try (TestingServer zk = new TestingServer(true)) {
            ZkSettings settings = ZkSettings.of(zk.getConnectString(), "edge");
            try {
                edge = ClusterRouting.start(NodeRole.EDGE, "e", settings, nats, new PostgresMessageStore(PostgresTestSchemas.config(schema, "")));
                MessageStore routed = edge.store();
                String conv = Conversations.dmId("x" + System.nanoTime() % 100000, "y");
                String sender = Conversations.parseDirect(conv).orElseThrow().members().get(0);
                // No writer registered: the edge commits itself (the database keeps the invariants).
                AppendResult local = routed.append(new SendRequest(sender, "id0", conv, "b")).get(20, TimeUnit.SECONDS);
                assertThat(local.ack().seq()).isEqualTo(1);

                wa = ClusterRouting.start(NodeRole.WRITER, "wa", settings, nats, new PostgresMessageStore(PostgresTestSchemas.config(schema, "")));
                wa.registerWriter("127.0.0.1", 1, 1, "", "test");
                wb = ClusterRouting.start(NodeRole.WRITER, "wb", settings, nats, new PostgresMessageStore(PostgresTestSchemas.config(schema, "")));
                wb.registerWriter("127.0.0.1", 1, 1, "", "test");
                WriterRing ring = edge.ring();
                await().atMost(Duration.ofSeconds(20)).until(() -> ring.current().map(h -> h.nodes().size()).orElse(0) == 2);
                String owner = ring.current().orElseThrow().owner(WriterRing.key(conv)).id();
                AppendResult first = routed.append(new SendRequest(sender, "id1", conv, "b")).get(20, TimeUnit.SECONDS);
                assertThat(first.ack().seq()).isEqualTo(2);
                // The owner's NATS subscription goes away (as when its process dies) while ZooKeeper
                // still lists it: the edge falls over to the other writer at once.
                (owner.equals("wa") ? wa : wb).closeResponder();
                AppendResult second = routed.append(new SendRequest(sender, "id2", conv, "b")).get(20, TimeUnit.SECONDS);
                assertThat(second.ack().seq()).isEqualTo(3);
                // Neither writer answers any more: the edge commits itself.
                (owner.equals("wa") ? wb : wa).closeResponder();
                AppendResult third = routed.append(new SendRequest(sender, "id3", conv, "b")).get(20, TimeUnit.SECONDS);
                assertThat(third.ack().seq()).isEqualTo(4);
                AppendResult resend = routed.append(new SendRequest(sender, "id1", conv, "again")).get(20, TimeUnit.SECONDS);
                assertThat(resend.duplicate()).isTrue();
                assertThat(resend.ack()).isEqualTo(first.ack());
            } finally {
                // Before ZooKeeper stops, so the registrations leave without retrying.
                for (ClusterRouting r : new ClusterRouting[] {edge, wa, wb}) {
                    if (r != null) {
                        r.store().close();
                    }
                }
            }
        } finally {
            PostgresTestSchemas.drop(schema);
        }
    }
}
