package io.stickyring.chat.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.chat.bus.NatsConfig;
import io.stickyring.chat.bus.NatsTestServer;
import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.model.StoredMessage;
import io.stickyring.chat.store.ForwardingStore;
import io.stickyring.chat.store.MessageStore;
import io.stickyring.chat.store.PostgresMessageStore;
import io.stickyring.chat.store.PostgresTestSchemas;
import io.stickyring.membership.zk.ZkSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

/**
 * Batched forwarding (real PostgreSQL, NATS, ZooKeeper, in process): an edge keeps at most its
 * window ({@code --forward-window}) of batch requests outstanding per writer, and the appends made
 * meanwhile travel together. The writer's store is held shut until the edge has queued every
 * append, so the batching is deterministic. Checked: every append acked once, per sender and
 * conversation seq follows send order, seq dense, every inbox dense, and the writer answered far
 * fewer requests than appends.
 */
@Timeout(120)
class OwnerBatchTest {

    /** A store whose appends wait (in order) until {@link #open()}; then it passes through. */
    private static final class GatedStore extends ForwardingStore {
        private final List<Object[]> held = new ArrayList<>();
        private boolean open;

        GatedStore(MessageStore inner) {
            super(inner);
        }

        @Override
        public CompletableFuture<AppendResult> append(SendRequest r) {
            synchronized (this) {
                if (!open) {
                    CompletableFuture<AppendResult> f = new CompletableFuture<>();
                    held.add(new Object[] {r, f});
                    return f;
                }
            }
            return inner.append(r);
        }

        @SuppressWarnings("unchecked")
        synchronized void open() {
            open = true;
            for (Object[] h : held) {
                CompletableFuture<AppendResult> f = (CompletableFuture<AppendResult>) h[1];
                inner.append((SendRequest) h[0]).whenComplete((v, e) -> {
                    if (e != null) {
                        f.completeExceptionally(e);
                    } else {
                        f.complete(v);
                    }
                });
            }
            held.clear();
        }

        synchronized int held() {
            return held.size();
        }
    }

    @ParameterizedTest(name = "window {0}")
    @ValueSource(ints = {1, OwnerRoutedStore.DEFAULT_WINDOW, 9})
    void appendsMadeWhileRequestsAreOutstandingTravelTogetherInOrder(int window) throws Exception {
        String schema = PostgresTestSchemas.newSchema();
        NatsConfig nats = NatsConfig.parse(NatsTestServer.SHARED + "?prefix=" + NatsTestServer.uniquePrefix());
        ClusterRouting edge = null;
        ClusterRouting writer = null;
        try (TestingServer zk = new TestingServer(true)) {
            ZkSettings settings = ZkSettings.of(zk.getConnectString(), "batch");
            try {
                GatedStore gated = new GatedStore(new PostgresMessageStore(PostgresTestSchemas.config(schema, "")));
                writer = ClusterRouting.start(NodeRole.WRITER, "w", settings, nats, gated);
                writer.registerWriter("127.0.0.1", 1, 1, "", "test");
                edge = ClusterRouting.start(NodeRole.EDGE, "e", settings, nats, new PostgresMessageStore(PostgresTestSchemas.config(schema, "")), window);
                WriterRing ring = edge.ring();
                await().atMost(Duration.ofSeconds(20)).until(() -> ring.current().isPresent());

                String p = "b" + System.nanoTime() % 100000 + "-";
                List<String> users = List.of(p + "a", p + "b", p + "c", p + "d");
                List<String> convs = List.of(Conversations.dmId(users.get(0), users.get(1)), Conversations.dmId(users.get(0), users.get(2)),
                        Conversations.dmId(users.get(2), users.get(3)));
                int rounds = 200;
                List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
                List<SendRequest> sent = new ArrayList<>();
                for (int round = 0; round < rounds; round++) {
                    for (String conv : convs) {
                        String sender = Conversations.parseDirect(conv).orElseThrow().members().get(round % 2);
                        SendRequest r = new SendRequest(sender, "m" + round + "-" + conv, conv, "body " + round);
                        sent.add(r);
                        futures.add(edge.store().append(r));
                    }
                }
                // `window` requests reached the writer (each with the appends queued so far);
                // everything else waits at the edge for a reply.
                ClusterRouting w = writer;
                await().atMost(Duration.ofSeconds(20)).until(() -> w.batchesAnswered.get() == window);
                assertThat(gated.held()).isEqualTo((int) writer.batchedAppends.get()).isLessThan(sent.size());
                gated.open();

                Map<String, List<Long>> seqsBySenderConv = new HashMap<>();
                Set<String> acked = new HashSet<>();
                for (int i = 0; i < futures.size(); i++) {
                    AppendResult r = futures.get(i).get(30, TimeUnit.SECONDS);
                    SendRequest req = sent.get(i);
                    assertThat(r.duplicate()).isFalse();
                    assertThat(acked.add(req.sender() + "/" + req.clientId())).isTrue();
                    seqsBySenderConv.computeIfAbsent(req.sender() + "/" + req.conv(), k -> new ArrayList<>()).add(r.ack().seq());
                }
                // Per sender and conversation, seq follows send order.
                seqsBySenderConv.forEach((k, seqs) -> assertThat(seqs).as(k).isSorted());
                for (String conv : convs) {
                    assertThat(edge.store().history(conv, Long.MAX_VALUE, 10_000)).extracting(StoredMessage::seq)
                            .containsExactlyElementsOf(range(rounds));
                }
                for (String u : users) {
                    List<InboxEntry> inbox = edge.store().readInbox(u, 0, 10_000);
                    assertThat(inbox).extracting(InboxEntry::cursor).containsExactlyElementsOf(range(inbox.size()));
                }
                assertThat(writer.batchedAppends.get()).isEqualTo(sent.size());
                // Everything after the first `window` requests left in batches of up to MAX_BATCH.
                assertThat(writer.batchesAnswered.get()).isLessThanOrEqualTo(
                        window + 2L * (sent.size() / OwnerRoutedStore.MAX_BATCH + 1));
            } finally {
                for (ClusterRouting r : new ClusterRouting[] {edge, writer}) {
                    if (r != null) {
                        r.store().close();
                    }
                }
            }
        } finally {
            PostgresTestSchemas.drop(schema);
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
