package io.stickyring.chat.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.stickyring.chat.bus.NatsConfig;
import io.stickyring.chat.bus.NatsTestServer;
import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.model.StoredMessage;
import io.stickyring.chat.store.MessageStore;
import io.stickyring.chat.store.PostgresMessageStore;
import io.stickyring.chat.store.PostgresTestSchemas;
import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.zk.ZkMemberRegistration;
import io.stickyring.membership.zk.ZkSettings;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The edge's liveness probe (real PostgreSQL, NATS and ZooKeeper, in process). Writer "wa" is a
 * fake on its own NATS connection: it takes batch requests on wa's batch subject and answers the
 * edge's probes (empty batches), but answers batches only when the test says so. Writer "wb" is a
 * real one, next in the preference order of the conversation, which wa owns.
 * <ul>
 *   <li>wa takes the batches, commits some of their appends and dies (its NATS connection closes,
 *       as on kill -9) without replying: every pending append is acked well within the 5 s request
 *       timeout, by wb, once; what wa committed gets wa's ack back (found by sender and client id).
 *       Without the probe these appends fail with store_unavailable after 5 s.</li>
 *   <li>wa is slow but alive (answers probes, replies after several probe delays): the appends get
 *       wa's replies and wb sees nothing (no second commit path for a slow writer).</li>
 * </ul>
 */
@Timeout(120)
class OwnerProbeTest {
    private static final Duration PROBE_DELAY = Duration.ofMillis(100);

    /** A writer that takes batches on its batch subject, answers probes, and replies only when told. */
    private static final class FakeWriter implements AutoCloseable {
        final Connection nats;
        final LinkedBlockingQueue<Message> batches = new LinkedBlockingQueue<>();
        final AtomicInteger probesAnswered = new AtomicInteger();

        FakeWriter(String prefix, String id) throws Exception {
            nats = Nats.connect(NatsTestServer.SHARED);
            Dispatcher d = nats.createDispatcher(m -> {
                if (AppendCodec.requests(m.getData()).isEmpty()) {
                    nats.publish(m.getReplyTo(), new byte[] {'[', ']'});
                    probesAnswered.incrementAndGet();
                } else {
                    batches.add(m);
                }
            });
            d.subscribe(OwnerRoutedStore.batchSubject(prefix, id));
            nats.flush(Duration.ofSeconds(5));
        }

        Message nextBatch() throws InterruptedException {
            Message m = batches.poll(20, TimeUnit.SECONDS);
            assertThat(m).as("a batch reached the fake writer").isNotNull();
            return m;
        }

        /** Commits a batch's appends with {@code store}; returns the results in order. */
        static List<AppendResult> commit(MessageStore store, Message batch) throws Exception {
            List<AppendResult> out = new ArrayList<>();
            for (Object r : AppendCodec.requests(batch.getData())) {
                out.add(store.append((SendRequest) r).get(20, TimeUnit.SECONDS));
            }
            return out;
        }

        void reply(Message batch, List<AppendResult> results) {
            List<byte[]> out = new ArrayList<>();
            results.forEach(r -> out.add(AppendCodec.result(r)));
            nats.publish(batch.getReplyTo(), AppendCodec.array(out));
        }

        /** As kill -9 looks to NATS: the connection goes, and with it the subscription. */
        @Override
        public void close() throws InterruptedException {
            nats.close();
        }
    }

    /** Everything a test needs: schema, ZooKeeper, fake writer wa (registered), real writer wb, the edge. */
    private static final class Cluster implements AutoCloseable {
        final String schema = PostgresTestSchemas.newSchema();
        final String prefix = NatsTestServer.uniquePrefix();
        final TestingServer zk;
        final FakeWriter wa;
        final MessageStore waStore;
        final ZkMemberRegistration waRegistration;
        final ClusterRouting wb;
        final ClusterRouting edge;

        Cluster() throws Exception {
            NatsConfig nats = NatsConfig.parse(NatsTestServer.SHARED + "?prefix=" + prefix);
            zk = new TestingServer(true);
            ZkSettings settings = ZkSettings.of(zk.getConnectString(), "probe");
            wa = new FakeWriter(prefix, "wa");
            waStore = new PostgresMessageStore(PostgresTestSchemas.config(schema, ""));
            waRegistration = ZkMemberRegistration.create(WriterRing.writersOf(settings),
                    new Member("wa", "127.0.0.1", 1, 1, MemberState.ACTIVE, "", System.currentTimeMillis(), "test"));
            waRegistration.start();
            wb = ClusterRouting.start(NodeRole.WRITER, "wb", settings, nats, new PostgresMessageStore(PostgresTestSchemas.config(schema, "")));
            wb.registerWriter("127.0.0.1", 1, 1, "", "test");
            edge = ClusterRouting.start(NodeRole.EDGE, "e", settings, nats, new PostgresMessageStore(PostgresTestSchemas.config(schema, "")),
                    OwnerRoutedStore.DEFAULT_WINDOW, PROBE_DELAY);
            WriterRing ring = edge.ring();
            await().atMost(Duration.ofSeconds(20)).until(() -> ring.current().map(h -> h.nodes().size()).orElse(0) == 2);
        }

        /** A direct conversation the edge's ring gives to wa (so wb is next in its order). */
        String convOwnedByWa() {
            String p = "p" + System.nanoTime() % 100000 + "-";
            for (int i = 0; ; i++) {
                String conv = Conversations.dmId(p + "a" + i, p + "b");
                if (edge.ring().current().orElseThrow().owner(WriterRing.key(conv)).id().equals("wa")) {
                    return conv;
                }
            }
        }

        long rows() throws Exception {
            try (java.sql.Connection c = PostgresTestSchemas.connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT COUNT(*), COUNT(DISTINCT (sender, client_id)) FROM " + schema + ".messages")) {
                rs.next();
                assertThat(rs.getLong(2)).as("one row per (sender, client id)").isEqualTo(rs.getLong(1));
                return rs.getLong(1);
            }
        }

        @Override
        public void close() throws Exception {
            try {
                // Before ZooKeeper stops, so the registrations leave without retrying.
                edge.store().close();
                wb.store().close();
                waRegistration.close();
                waStore.close();
                wa.close();
                zk.close();
            } finally {
                PostgresTestSchemas.drop(schema);
            }
        }
    }

    @Test
    void appendsInFlightAtAWriterThatDiesAreAckedByTheNextWriterWellBeforeTheTimeout() throws Exception {
        try (Cluster c = new Cluster()) {
            String conv = c.convOwnedByWa();
            String sender = Conversations.parseDirect(conv).orElseThrow().members().get(0);
            // Window 4: the first four appends leave at once (a batch each), the last two wait in the outbox.
            int n = OwnerRoutedStore.DEFAULT_WINDOW + 2;
            List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(c.edge.store().append(new SendRequest(sender, "id" + i, conv, "body " + i)));
            }
            List<Message> batches = new ArrayList<>();
            for (int i = 0; i < OwnerRoutedStore.DEFAULT_WINDOW; i++) {
                batches.add(c.wa.nextBatch());
            }
            // wa commits the appends of its first two batches, then dies before replying to any.
            List<AppendResult> committedByWa = new ArrayList<>();
            committedByWa.addAll(FakeWriter.commit(c.waStore, batches.get(0)));
            committedByWa.addAll(FakeWriter.commit(c.waStore, batches.get(1)));
            assertThat(futures).noneMatch(CompletableFuture::isDone);
            long killed = System.nanoTime();
            c.wa.close();

            // Well within the 5 s request timeout (today: store_unavailable after 5 s).
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(2, TimeUnit.SECONDS);
            long stallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            System.out.println("appends in flight at the killed writer acked " + stallMs + " ms after the kill (probe delay "
                    + PROBE_DELAY.toMillis() + " ms)");
            List<AppendResult> results = new ArrayList<>();
            for (CompletableFuture<AppendResult> f : futures) {
                results.add(f.join());
            }
            // What wa committed comes back with wa's ack (wb's store found it by sender and client id).
            for (int i = 0; i < committedByWa.size(); i++) {
                assertThat(results.get(i).duplicate()).isTrue();
                assertThat(results.get(i).ack()).isEqualTo(committedByWa.get(i).ack());
            }
            for (int i = committedByWa.size(); i < n; i++) {
                assertThat(results.get(i).duplicate()).isFalse();
            }
            // Send order kept: seq 1..n in the order the appends were made.
            assertThat(results).extracting(r -> r.ack().seq()).containsExactlyElementsOf(range(n));
            assertThat(c.edge.store().history(conv, Long.MAX_VALUE, 100)).extracting(StoredMessage::seq)
                    .containsExactlyInAnyOrderElementsOf(range(n));
            // wb got each append exactly once (the moved batches and the two that never left).
            assertThat(c.wb.batchedAppends.get()).isEqualTo(n);
            assertThat(c.rows()).isEqualTo(n);
        }
    }

    @Test
    void aSlowWriterThatAnswersProbesKeepsItsBatchesAndTheNextWriterSeesNothing() throws Exception {
        try (Cluster c = new Cluster()) {
            String conv = c.convOwnedByWa();
            String sender = Conversations.parseDirect(conv).orElseThrow().members().get(0);
            int n = 3;
            List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(c.edge.store().append(new SendRequest(sender, "id" + i, conv, "body " + i)));
            }
            List<Message> batches = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                batches.add(c.wa.nextBatch());
            }
            // The batches stay outstanding for several probe delays; wa answers each probe.
            await().atMost(Duration.ofSeconds(4)).until(() -> c.wa.probesAnswered.get() >= 3);
            assertThat(futures).noneMatch(CompletableFuture::isDone);
            List<AppendResult> committed = new ArrayList<>();
            for (Message b : batches) {
                List<AppendResult> r = FakeWriter.commit(c.waStore, b);
                committed.addAll(r);
                c.wa.reply(b, r);
            }
            for (int i = 0; i < n; i++) {
                AppendResult r = futures.get(i).get(20, TimeUnit.SECONDS);
                assertThat(r.duplicate()).isFalse();
                assertThat(r.ack()).isEqualTo(committed.get(i).ack());
            }
            // Probing changed nothing: no batch (and so no append) went to the next writer.
            assertThat(c.wb.batchesAnswered.get()).isZero();
            assertThat(c.wb.batchedAppends.get()).isZero();
            assertThat(c.rows()).isEqualTo(n);
        }
    }

    private static List<Long> range(int n) {
        List<Long> out = new ArrayList<>();
        for (long i = 1; i <= n; i++) {
            out.add(i);
        }
        return out;
    }
}
