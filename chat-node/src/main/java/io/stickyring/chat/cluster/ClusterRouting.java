package io.stickyring.chat.cluster;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.stickyring.chat.bus.NatsConfig;
import io.stickyring.chat.bus.BusEvent;
import io.stickyring.chat.bus.MessageBus;
import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.RejectedException;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.protocol.ErrorCodes;
import io.stickyring.chat.store.MessageStore;
import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.zk.ZkMemberRegistration;
import io.stickyring.membership.zk.ZkSettings;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer-ownership wiring of one node: a NATS connection for append requests, the
 * {@link WriterRing} of writers, the {@link OwnerRoutedStore} the node's chat service uses and, on a
 * node that commits ({@code --role all|writer}), the responder on {@code <prefix>.w.<id>} plus the
 * node's znode under {@code /stickyring/<cluster>-writers}. The responder subscribes (and the
 * subscription is flushed to the server) before the znode exists, so no edge ever routes to a
 * writer that cannot answer yet.
 */
public final class ClusterRouting {
    private static final Logger log = LoggerFactory.getLogger(ClusterRouting.class);
    /** How long an edge waits for the owning writer's reply before failing the send (retryable). */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /**
     * Requests and replies queued for the NATS socket before new ones are dropped. Appends are
     * issued on Netty event loops, which must never block on a full queue: a dropped request or
     * reply times out into {@code store_unavailable} (nothing acked; the client resends).
     */
    public static final int OUTGOING_QUEUE = 65_536;

    private final NodeRole role;
    private final String nodeId;
    private final ZkSettings zk;
    private final MessageStore local;
    private final Connection nats;
    private final WriterRing ring;
    private final OwnerRoutedStore store;
    private volatile Dispatcher dispatcher;
    /** The node's bus: a writer publishes the deliveries of what it committed (null until set). */
    private volatile MessageBus deliveries;
    private volatile ZkMemberRegistration writerRegistration;
    /** Batch requests and the appends they carried, answered by this writer (tests read them). */
    final java.util.concurrent.atomic.AtomicLong batchesAnswered = new java.util.concurrent.atomic.AtomicLong();
    final java.util.concurrent.atomic.AtomicLong batchedAppends = new java.util.concurrent.atomic.AtomicLong();
    /** Publishes the deliveries and replies of answered batches, off the store's writer thread. */
    private final ExecutorService replies;

    private ClusterRouting(NodeRole role, String nodeId, ZkSettings zk, NatsConfig natsConfig, MessageStore local,
                           Duration timeout, int window, Duration probeDelay) {
        this.role = role;
        this.nodeId = nodeId;
        this.zk = zk;
        this.local = local;
        Options options = new Options.Builder()
                .servers(natsConfig.servers().toArray(String[]::new))
                .connectionName("stickyring-chat-append-" + nodeId)
                .maxReconnects(-1)
                .reconnectWait(natsConfig.reconnectWait())
                .connectionTimeout(natsConfig.connectTimeout())
                .maxMessagesInOutgoingQueue(OUTGOING_QUEUE)
                .discardMessagesWhenOutgoingQueueFull()
                .errorListener(new ErrorListener() { })
                .build();
        try {
            this.nats = Nats.connect(options);
        } catch (IOException e) {
            throw new IllegalStateException("cannot connect to NATS " + natsConfig.servers() + " for append routing: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted connecting to NATS", e);
        }
        this.replies = Executors.newSingleThreadExecutor(run -> {
            Thread t = new Thread(run, "append-replies-" + nodeId);
            t.setDaemon(true);
            return t;
        });
        this.ring = new WriterRing(zk);
        this.store = new OwnerRoutedStore(local, ring, nats, natsConfig.prefix(), role.commits() ? nodeId : null, timeout, window,
                probeDelay, this::stopTakingRequests, this::closeTransport);
    }

    /**
     * Starts routing for a node: subscribes the responder when the node commits, then starts the
     * ring watcher and waits (bounded by the ZooKeeper connection timeout) for its first list.
     * The writer's znode is created later, by {@link #registerWriter}, once the node is bound.
     */
    public static ClusterRouting start(NodeRole role, String nodeId, ZkSettings zk, NatsConfig nats, MessageStore local) {
        return start(role, nodeId, zk, nats, local, OwnerRoutedStore.DEFAULT_WINDOW);
    }

    /** As {@link #start(NodeRole, String, ZkSettings, NatsConfig, MessageStore)} with {@code window} batch requests outstanding per writer. */
    public static ClusterRouting start(NodeRole role, String nodeId, ZkSettings zk, NatsConfig nats, MessageStore local, int window) {
        return start(role, nodeId, zk, nats, local, window, OwnerRoutedStore.DEFAULT_PROBE_DELAY);
    }

    /** As above, probing a writer once a batch to it has been outstanding for {@code probeDelay} ({@code --writer-probe-delay}). */
    public static ClusterRouting start(NodeRole role, String nodeId, ZkSettings zk, NatsConfig nats, MessageStore local, int window,
                                Duration probeDelay) {
        ClusterRouting r = new ClusterRouting(role, nodeId, zk, nats, local, REQUEST_TIMEOUT, window, probeDelay);
        try {
            if (role.commits()) {
                r.subscribe(nats.prefix());
            }
            r.ring.start();
            log.info("append routing: node {} ({}) sends each append to the writer owning its conversation "
                    + "(window {}, writer probe delay {}, timeout {})", nodeId, role.name().toLowerCase(java.util.Locale.ROOT), window,
                    io.stickyring.cli.Durations.format(probeDelay), io.stickyring.cli.Durations.format(REQUEST_TIMEOUT));
            if (!r.ring.awaitFirstView(zk.connectionTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS)) {
                log.warn("no writer list from ZooKeeper yet; sends fail with store_unavailable until one arrives");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            r.closeTransport();
            throw new IllegalStateException("interrupted waiting for the writer list", e);
        } catch (RuntimeException e) {
            r.closeTransport();
            throw e;
        }
        return r;
    }

    private void subscribe(String prefix) throws InterruptedException {
        String subject = OwnerRoutedStore.subject(prefix, nodeId);
        Dispatcher d = nats.createDispatcher(this::answer);
        d.subscribe(subject);
        d.subscribe(OwnerRoutedStore.batchSubject(prefix, nodeId), this::answerBatch);
        dispatcher = d;
        try {
            nats.flush(Duration.ofSeconds(5));
        } catch (TimeoutException e) {
            throw new IllegalStateException("NATS did not confirm the subscription to " + subject + " within 5 s", e);
        }
        log.info("writer {} answers appends on {}", nodeId, subject);
    }

    /** One append request: commit through the local (group-committing) store, reply after the commit. */
    private void answer(Message m) {
        String replyTo = m.getReplyTo();
        if (replyTo == null) {
            return;
        }
        SendRequest req;
        try {
            req = AppendCodec.request(m.getData());
        } catch (IllegalArgumentException e) {
            nats.publish(replyTo, AppendCodec.failure(new RejectedException(ErrorCodes.BAD_REQUEST, e.getMessage())));
            return;
        }
        local.append(req).whenComplete((r, e) -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause != null) {
                nats.publish(replyTo, AppendCodec.failure(cause));
                return;
            }
            MessageBus bus = deliveries;
            if (bus == null || r.duplicate()) {
                nats.publish(replyTo, AppendCodec.result(r));
                return;
            }
            // The writer publishes the deliveries right after its commit, so they do not depend on
            // the edge receiving the reply (a reply that times out or an edge that dies after the
            // commit would otherwise leave the members' pushes unsent until their next sync); the
            // reply then carries no cursors and the edge publishes nothing.
            List<BusEvent> events = new ArrayList<>(r.cursors().size());
            r.cursors().forEach((user, cursor) -> events.add(new BusEvent.Delivery(user, cursor, r.message())));
            bus.publishAll(events);
            nats.publish(replyTo, AppendCodec.result(new AppendResult(r.ack(), false, r.message(), Map.of())));
        });
    }

    /**
     * A batch of append requests (a JSON array, see {@link OwnerRoutedStore}): each is queued on the
     * local store in order, so they join the same group commit; once all are done (committed,
     * rejected or failed) the deliveries of the stored ones are published and one reply array is
     * sent. That last step runs on the {@code replies} thread, not on the store's writer thread,
     * which goes straight on to its next batch. An empty batch is an edge's liveness probe
     * ({@link OwnerRoutedStore}): it is answered at once with an empty array and not counted.
     */
    private void answerBatch(Message m) {
        String replyTo = m.getReplyTo();
        if (replyTo == null) {
            return;
        }
        List<Object> reqs;
        try {
            reqs = AppendCodec.requests(m.getData());
        } catch (IllegalArgumentException e) {
            // Not an array: the edge cannot match replies to requests; it times out (retryable).
            log.warn("dropping an undecodable append batch: {}", e.getMessage());
            return;
        }
        if (reqs.isEmpty()) {
            nats.publish(replyTo, OwnerRoutedStore.PROBE); // the probe's answer: an empty array
            return;
        }
        batchesAnswered.incrementAndGet();
        batchedAppends.addAndGet(reqs.size());
        List<CompletableFuture<AppendResult>> futures = new ArrayList<>(reqs.size());
        for (Object r : reqs) {
            futures.add(r instanceof SendRequest req ? local.append(req)
                    : CompletableFuture.failedFuture(new RejectedException(ErrorCodes.BAD_REQUEST, ((Exception) r).getMessage())));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .whenCompleteAsync((v, e) -> replyBatch(replyTo, futures), replies);
    }

    private void replyBatch(String replyTo, List<CompletableFuture<AppendResult>> futures) {
        MessageBus bus = deliveries;
        List<BusEvent> events = new ArrayList<>();
        List<byte[]> out = new ArrayList<>(futures.size());
        for (CompletableFuture<AppendResult> f : futures) {
            AppendResult r;
            try {
                r = f.join();
            } catch (CompletionException | java.util.concurrent.CancellationException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                out.add(AppendCodec.failure(cause));
                continue;
            }
            if (bus == null || r.duplicate()) {
                out.add(AppendCodec.result(r));
                continue;
            }
            // As in answer(): the writer publishes the deliveries; the reply carries no cursors.
            r.cursors().forEach((user, cursor) -> events.add(new BusEvent.Delivery(user, cursor, r.message())));
            out.add(AppendCodec.result(new AppendResult(r.ack(), false, r.message(), Map.of())));
        }
        if (bus != null && !events.isEmpty()) {
            bus.publishAll(events);
        }
        nats.publish(replyTo, AppendCodec.array(out));
    }

    /** From now on this writer publishes the deliveries of the appends it commits for other nodes. */
    public void publishDeliveriesWith(MessageBus bus) {
        this.deliveries = bus;
    }

    /** Registers this writer in ZooKeeper (after the node is bound; {@code host:port} is informational). */
    public void registerWriter(String host, int port, int weight, String zone, String version) {
        if (!role.commits()) {
            return;
        }
        Member me = new Member(nodeId, host, port, weight, MemberState.ACTIVE, zone, System.currentTimeMillis(), version);
        ZkMemberRegistration r = ZkMemberRegistration.create(WriterRing.writersOf(zk), me);
        r.start();
        writerRegistration = r;
    }

    /** The writer probe delay the routing store runs with (exported as {@code stickyring_chat_writer_probe_delay_seconds}). */
    public Duration probeDelay() {
        return store.probeDelay();
    }

    public MessageStore store() {
        return store;
    }

    public NodeRole role() {
        return role;
    }

    WriterRing ring() {
        return ring;
    }

    /**
     * Stops answering append requests but stays registered: what edges see in the seconds between a
     * writer's kill -9 (its NATS subscription dies with the process) and its znode's expiry.
     */
    void closeResponder() {
        Dispatcher d = dispatcher;
        if (d != null) {
            nats.closeDispatcher(d);
            dispatcher = null;
            try {
                // A round trip: once it returns the server has dropped the interest, so requests
                // sent from now on get "no responders" (or go to another writer) instead of timing out.
                nats.flush(Duration.ofSeconds(2));
            } catch (Exception e) {
                log.debug("flush after unsubscribe: {}", e.toString());
            }
        }
    }

    private void stopTakingRequests() {
        ZkMemberRegistration r = writerRegistration;
        if (r != null) {
            r.close();
        }
        closeResponder();
    }

    private void closeTransport() {
        ring.close();
        replies.shutdown();
        try {
            // The local store has completed its queued writes; let their replies go out first.
            replies.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            nats.flush(Duration.ofSeconds(2));
        } catch (Exception e) {
            log.debug("flush before close: {}", e.toString());
        }
        try {
            nats.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
