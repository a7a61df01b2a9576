package io.stickyring.chat.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.Conversation;
import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.model.StoredMessage;
import io.stickyring.chat.store.MessageStore;
import io.stickyring.chat.store.StoreUnavailableException;
import io.stickyring.ring.ConsistentHash;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link MessageStore} that sends each append to the writer owning its conversation
 * ({@link WriterRing}) over NATS request/reply, and serves everything else (reads, groups, read
 * marks) from the local store. When this node is itself the owner the append goes straight to the
 * local store. The writer commits with the same group-committing store, so a conversation's batches
 * are built and committed by one process and do not wait for other nodes' row locks.
 *
 * <p>Guarantees are the local store's: a reply is sent only after the writer's commit, a resend
 * reaches the same owner (same conversation) or, after an ownership change, another writer whose
 * store finds the committed original by {@code (sender, client id)}. A writer that has gone away
 * (NATS "no responders": its subscription died with it) is skipped for the next one in the ring's
 * preference order, before ZooKeeper notices; when no writer is listed, none answers, or NATS is
 * down, the append is committed by the local store (ownership only avoids lock waits: any node's
 * commit keeps every invariant). A writer that does not answer within the timeout fails the
 * append with {@link StoreUnavailableException} (nothing acked; the client retries with the same
 * id): it may still be committing, and under overload a second commit path would add load.
 *
 * <p>A writer that dies with batches in flight (kill -9) never answers them, and NATS says "no
 * responders" only for requests made after its subscription went away. So when a batch to a writer
 * has been outstanding for {@code probeDelay} (default {@link #DEFAULT_PROBE_DELAY}) the edge sends
 * that writer one probe, an empty batch (answered at once with an empty array, without touching the
 * store), at most one probe per writer at a time and again every {@code probeDelay} while a batch
 * stays outstanding that long. A probe that is answered (or gets no answer) changes nothing: the
 * writer is alive, maybe slow, and its batches keep waiting up to the timeout (no second commit
 * path for a slow writer). A probe, or any batch request, that gets "no responders" means the
 * writer's subscription is gone: every batch still outstanding at it and every append queued for
 * it is re-attempted, in the order they were sent, with the next writer of its preference order
 * (or the local store), exactly as a request made after the death would be; the next writer's store
 * finds what the dead one committed by {@code (sender, client id)} and answers with the same ack.
 * A late reply from the gone writer is ignored, so each append completes once.
 */
public final class OwnerRoutedStore implements MessageStore {
    private final MessageStore local;
    private final WriterRing writers;
    private final Connection nats;
    private final String prefix;
    private final String selfWriterId;
    private final Duration timeout;
    private final Runnable beforeLocalClose;
    private final Runnable afterLocalClose;
    private final ConcurrentHashMap<String, Outbox> outboxes = new ConcurrentHashMap<>();
    /** Batch requests outstanding per writer before further appends wait and travel together. */
    private final int window;
    /** The default of {@code window} ({@code --forward-window}). */
    public static final int DEFAULT_WINDOW = 4;
    /** The largest {@code window} accepted. */
    public static final int MAX_WINDOW = 1024;
    /** Most appends in one batch request (also bounded by half of NATS' max payload). */
    static final int MAX_BATCH = 256;
    /**
     * How long a batch may be outstanding at a writer before the edge probes the writer (and again
     * each time after, while it stays outstanding); a probe that gets "no responders" moves the
     * writer's outstanding appends to the next writer. Bounds the ack stall of the sends in flight
     * at a writer that is killed to about this delay plus a commit, instead of the request timeout.
     */
    public static final Duration DEFAULT_PROBE_DELAY = Duration.ofMillis(250);
    /** An empty batch: a writer answers it with this same empty array at once (a liveness probe). */
    static final byte[] PROBE = {'[', ']'};
    private final Duration probeDelay;

    /** How long a batch to a writer is outstanding before that writer is probed ({@code --writer-probe-delay}). */
    public Duration probeDelay() {
        return probeDelay;
    }

    /**
     * @param selfWriterId this node's writer id when it commits ({@code role all/writer}), else null
     * @param beforeLocalClose stops taking requests (writer registration, responder subscription)
     * @param afterLocalClose  runs once the local store has completed its queued writes (ring, NATS)
     * @param window           batch requests outstanding per writer (1..{@link #MAX_WINDOW})
     */
    public OwnerRoutedStore(MessageStore local, WriterRing writers, Connection nats, String prefix, String selfWriterId,
                            Duration timeout, int window, Runnable beforeLocalClose, Runnable afterLocalClose) {
        this(local, writers, nats, prefix, selfWriterId, timeout, window, DEFAULT_PROBE_DELAY, beforeLocalClose, afterLocalClose);
    }

    /**
     * As above, with {@code probeDelay}: how long a batch is outstanding before its writer is probed
     * (positive, less than {@code timeout}; see {@link #DEFAULT_PROBE_DELAY}).
     */
    public OwnerRoutedStore(MessageStore local, WriterRing writers, Connection nats, String prefix, String selfWriterId,
                            Duration timeout, int window, Duration probeDelay, Runnable beforeLocalClose, Runnable afterLocalClose) {
        if (window < 1 || window > MAX_WINDOW) {
            throw new IllegalArgumentException("forward window (" + window + ") must be in [1, " + MAX_WINDOW + "]");
        }
        if (probeDelay.isNegative() || probeDelay.isZero() || probeDelay.compareTo(timeout) >= 0) {
            throw new IllegalArgumentException("probe delay (" + probeDelay + ") must be positive and less than the timeout (" + timeout + ")");
        }
        this.probeDelay = probeDelay;
        this.window = window;
        this.local = local;
        this.writers = writers;
        this.nats = nats;
        this.prefix = prefix;
        this.selfWriterId = selfWriterId;
        this.timeout = timeout;
        this.beforeLocalClose = beforeLocalClose;
        this.afterLocalClose = afterLocalClose;
    }

    /** {@code <prefix>.w.<writer id>} with '.' in the id replaced by '~' (ids never hold '~'). */
    public static String subject(String prefix, String writerId) {
        return prefix + ".w." + writerId.replace('.', '~');
    }

    /** {@code <prefix>.wb.<writer id>}: where a writer takes batches of appends (a JSON array). */
    public static String batchSubject(String prefix, String writerId) {
        return prefix + ".wb." + writerId.replace('.', '~');
    }

    @Override
    public CompletableFuture<AppendResult> append(SendRequest request) {
        Optional<ConsistentHash> ring = writers.current();
        if (ring.isEmpty() || nats.getStatus() != Connection.Status.CONNECTED) {
            // No writer to ask (none registered, or NATS is down): commit here. Ownership only
            // avoids lock waits; the database keeps every invariant whichever node commits.
            return local.append(request);
        }
        ConsistentHash h = ring.get();
        int[] order = new int[h.nodes().size()];
        int n = h.preference(WriterRing.key(request.conv()), order);
        Pending p = new Pending(request, AppendCodec.request(request), h, order, n);
        attempt(p, 0);
        return p.future;
    }

    /** One forwarded append: its encoded request, the writers to try in order, the caller's future. */
    private static final class Pending {
        final SendRequest request;
        final byte[] body;
        final ConsistentHash ring;
        final int[] order;
        final int n;
        final CompletableFuture<AppendResult> future = new CompletableFuture<>();
        int tried;

        Pending(SendRequest request, byte[] body, ConsistentHash ring, int[] order, int n) {
            this.request = request;
            this.body = body;
            this.ring = ring;
            this.order = order;
            this.n = n;
        }
    }

    /** Sends {@code p} to the {@code i}-th writer of its preference order (itself: the local store). */
    private void attempt(Pending p, int i) {
        p.tried = i;
        String writer = p.ring.nodes().get(p.order[i]).id();
        if (writer.equals(selfWriterId)) {
            relay(local.append(p.request), p.future);
            return;
        }
        outboxes.computeIfAbsent(writer, Outbox::new).add(p);
    }

    /** Its writer is gone: sends {@code p} to the next writer of its order, or commits it here when none is left. */
    private void next(Pending p) {
        if (p.tried + 1 < p.n) {
            attempt(p, p.tried + 1);
        } else {
            relay(local.append(p.request), p.future);
        }
    }

    private static <T> void relay(CompletableFuture<T> from, CompletableFuture<T> to) {
        from.whenComplete((r, e) -> {
            if (e != null) {
                to.completeExceptionally(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
            } else {
                to.complete(r);
            }
        });
    }

    /**
     * Runs {@code task} after {@code millis} on the JDK's delay scheduler (the one {@code orTimeout}
     * uses), which hands it to the common pool: no thread of ours to keep or stop.
     */
    private static void later(long millis, Runnable task) {
        CompletableFuture.delayedExecutor(Math.max(1, millis), TimeUnit.MILLISECONDS).execute(task);
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    /**
     * One batch request to a writer; outstanding while in its outbox's {@code outstanding} set (an
     * identity set: each batch is its own object), settled once answered or moved on.
     */
    private static final class Batch {
        final List<Pending> items;
        final long sentNanos;

        Batch(List<Pending> items, long sentNanos) {
            this.items = items;
            this.sentNanos = sentNanos;
        }
    }

    /**
     * The appends waiting for one writer. Up to {@code window} batch requests are outstanding
     * at a time; an append that finds a free slot leaves at once (no added latency when idle), the
     * others wait for the next reply and leave together as one NATS message (a JSON array of up to
     * {@link #MAX_BATCH} requests), so under load one request, one wake-up of the writer and one
     * reply carry many appends. Batches are taken and published under the outbox's lock, so the
     * writer receives appends in the order they were made (per-conversation send order holds).
     * When the writer turns out to be gone ("no responders" to a batch or to a probe), the batches
     * still outstanding and then the queued appends move to their next writer in that same order,
     * before this outbox publishes anything again.
     */
    private final class Outbox {
        private final String writer;
        private final ArrayDeque<Pending> queue = new ArrayDeque<>();
        /** Batch requests not yet answered, in the order they were published (at most {@code window}). */
        private final LinkedHashSet<Batch> outstanding = new LinkedHashSet<>();
        /** A liveness check is scheduled / a probe request is in flight. */
        private boolean checkScheduled;
        private boolean probing;
        /** Appends of a gone writer are being handed to their next writers: publish nothing meanwhile. */
        private int moving;

        Outbox(String writer) {
            this.writer = writer;
        }

        void add(Pending p) {
            synchronized (this) {
                queue.add(p);
                drain();
            }
        }

        /** Publishes batches while a slot is free (caller holds the lock). */
        private void drain() {
            if (moving > 0) {
                return;
            }
            long maxBytes = Math.max(1024, nats.getMaxPayload() / 2);
            while (outstanding.size() < window && !queue.isEmpty()) {
                List<Pending> items = new ArrayList<>();
                List<byte[]> bodies = new ArrayList<>();
                long bytes = 0;
                while (!queue.isEmpty() && items.size() < MAX_BATCH
                        && (items.isEmpty() || bytes + queue.peek().body.length < maxBytes)) {
                    Pending p = queue.poll();
                    items.add(p);
                    bodies.add(p.body);
                    bytes += p.body.length + 1;
                }
                Batch batch = new Batch(items, System.nanoTime());
                outstanding.add(batch);
                if (!checkScheduled && !probing) {
                    checkScheduled = true;
                    later(probeDelay.toMillis(), this::check);
                }
                CompletableFuture<Message> reply;
                try {
                    reply = nats.request(batchSubject(prefix, writer), AppendCodec.array(bodies))
                            .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (RuntimeException e) {
                    reply = CompletableFuture.failedFuture(e);
                }
                reply.whenComplete((m, e) -> done(batch, m, e));
            }
        }

        /**
         * Probes the writer when its oldest outstanding batch has waited {@code probeDelay}; else
         * checks again when it will have.
         */
        private void check() {
            CompletableFuture<Message> probe;
            synchronized (this) {
                checkScheduled = false;
                if (outstanding.isEmpty() || probing) {
                    return;
                }
                long waited = System.nanoTime() - outstanding.iterator().next().sentNanos;
                long left = probeDelay.toNanos() - waited;
                if (left > 0) {
                    checkScheduled = true;
                    later(TimeUnit.NANOSECONDS.toMillis(left) + 1, this::check);
                    return;
                }
                probing = true;
                try {
                    probe = nats.request(batchSubject(prefix, writer), PROBE)
                            .orTimeout(probeDelay.toMillis(), TimeUnit.MILLISECONDS);
                } catch (RuntimeException e) {
                    probe = CompletableFuture.failedFuture(e);
                }
            }
            probe.whenComplete((m, e) -> probed(e));
        }

        /** "No responders": the writer is gone. Anything else (an answer, no answer yet): check again later. */
        private void probed(Throwable e) {
            if (unwrap(e) instanceof CancellationException) {
                gone();
                return;
            }
            synchronized (this) {
                probing = false;
                if (!outstanding.isEmpty() && !checkScheduled) {
                    checkScheduled = true;
                    later(probeDelay.toMillis(), this::check);
                }
            }
        }

        /**
         * The writer's subscription is gone (its process or connection died): every batch still
         * outstanding and every queued append goes to its next writer, in the order sent; nothing is
         * published here meanwhile, so later appends cannot overtake them.
         */
        private void gone() {
            List<Pending> moved = new ArrayList<>();
            synchronized (this) {
                probing = false;
                for (Batch b : outstanding) {
                    moved.addAll(b.items);
                }
                outstanding.clear();
                moved.addAll(queue);
                queue.clear();
                moving++;
            }
            try {
                for (Pending p : moved) {
                    try {
                        next(p);
                    } catch (RuntimeException e) {
                        p.future.completeExceptionally(new StoreUnavailableException("writer " + writer + " is gone: " + e, e));
                    }
                }
            } finally {
                synchronized (this) {
                    moving--;
                    drain();
                }
            }
        }

        private void done(Batch batch, Message m, Throwable e) {
            Throwable cause = unwrap(e);
            // No responders: the writer is gone (its subscription died with it).
            boolean writerGone = cause instanceof CancellationException;
            synchronized (this) {
                if (!outstanding.contains(batch)) {
                    // Already moved to the next writer (this one is gone): a late reply or its
                    // timeout must not complete the appends a second time.
                    return;
                }
                if (!writerGone) {
                    outstanding.remove(batch);
                    drain();
                }
            }
            if (writerGone) {
                // This batch and every other one still outstanding at it (sent earlier, never to be
                // answered) go to the next writer; when no listed writer answers, they are committed here.
                gone();
                return;
            }
            List<Pending> items = batch.items;
            if (cause == null) {
                try {
                    List<JsonNode> replies = AppendCodec.replies(m.getData(), items.size());
                    for (int k = 0; k < items.size(); k++) {
                        try {
                            items.get(k).future.complete(AppendCodec.reply(replies.get(k)));
                        } catch (RuntimeException ex) {
                            items.get(k).future.completeExceptionally(ex);
                        }
                    }
                    return;
                } catch (RuntimeException ex) {
                    cause = ex;
                }
            }
            String why = cause instanceof TimeoutException ? "no answer within " + timeout.toMillis() + " ms" : String.valueOf(cause);
            StoreUnavailableException failure = new StoreUnavailableException("writer " + writer + ": " + why, cause);
            for (Pending p : items) {
                p.future.completeExceptionally(failure);
            }
        }
    }

    @Override
    public List<InboxEntry> readInbox(String user, long afterCursor, int limit) {
        return local.readInbox(user, afterCursor, limit);
    }

    @Override
    public long inboxHead(String user) {
        return local.inboxHead(user);
    }

    @Override
    public List<StoredMessage> history(String conv, long beforeSeq, int limit) {
        return local.history(conv, beforeSeq, limit);
    }

    @Override
    public CompletableFuture<Conversation> createGroup(String creator, Set<String> members, String title) {
        return local.createGroup(creator, members, title);
    }

    @Override
    public CompletableFuture<Conversation> leaveGroup(String conv, String user) {
        return local.leaveGroup(conv, user);
    }

    @Override
    public void invalidateGroup(String conv) {
        local.invalidateGroup(conv);
    }

    @Override
    public Optional<Conversation> conversation(String id) {
        return local.conversation(id);
    }

    @Override
    public List<Conversation> conversationsOf(String user) {
        return local.conversationsOf(user);
    }

    @Override
    public CompletableFuture<Long> markRead(String conv, String user, long seq) {
        return local.markRead(conv, user, seq);
    }

    /**
     * Stops taking requests, closes the local store (its queued writes complete and their replies
     * are published), then closes the ring and NATS.
     */
    @Override
    public void close() {
        try {
            beforeLocalClose.run();
            local.close();
        } finally {
            afterLocalClose.run();
        }
    }
}
