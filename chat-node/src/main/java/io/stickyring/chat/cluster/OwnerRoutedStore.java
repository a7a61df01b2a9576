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
     * @param selfWriterId this node's writer id when it commits ({@code role all/writer}), else null
     * @param beforeLocalClose stops taking requests (writer registration, responder subscription)
     * @param afterLocalClose  runs once the local store has completed its queued writes (ring, NATS)
     * @param window           batch requests outstanding per writer (1..{@link #MAX_WINDOW})
     */
    public OwnerRoutedStore(MessageStore local, WriterRing writers, Connection nats, String prefix, String selfWriterId,
                            Duration timeout, int window, Runnable beforeLocalClose, Runnable afterLocalClose) {
        if (window < 1 || window > MAX_WINDOW) {
            throw new IllegalArgumentException("forward window (" + window + ") must be in [1, " + MAX_WINDOW + "]");
        }
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
     * The appends waiting for one writer. Up to {@code window} batch requests are outstanding
     * at a time; an append that finds a free slot leaves at once (no added latency when idle), the
     * others wait for the next reply and leave together as one NATS message (a JSON array of up to
     * {@link #MAX_BATCH} requests), so under load one request, one wake-up of the writer and one
     * reply carry many appends. Batches are taken and published under the outbox's lock, so the
     * writer receives appends in the order they were made (per-conversation send order holds).
     */
    private final class Outbox {
        private final String writer;
        private final ArrayDeque<Pending> queue = new ArrayDeque<>();
        private int inFlight;

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
            long maxBytes = Math.max(1024, nats.getMaxPayload() / 2);
            while (inFlight < window && !queue.isEmpty()) {
                List<Pending> batch = new ArrayList<>();
                List<byte[]> bodies = new ArrayList<>();
                long bytes = 0;
                while (!queue.isEmpty() && batch.size() < MAX_BATCH
                        && (batch.isEmpty() || bytes + queue.peek().body.length < maxBytes)) {
                    Pending p = queue.poll();
                    batch.add(p);
                    bodies.add(p.body);
                    bytes += p.body.length + 1;
                }
                inFlight++;
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

        private void done(List<Pending> batch, Message m, Throwable e) {
            synchronized (this) {
                inFlight--;
                drain();
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof CancellationException) {
                // No responders: the writer is gone (its subscription died with it); try the next
                // one, and when no listed writer answers, commit here.
                for (Pending p : batch) {
                    if (p.tried + 1 < p.n) {
                        attempt(p, p.tried + 1);
                    } else {
                        relay(local.append(p.request), p.future);
                    }
                }
                return;
            }
            if (cause == null) {
                try {
                    List<JsonNode> replies = AppendCodec.replies(m.getData(), batch.size());
                    for (int k = 0; k < batch.size(); k++) {
                        try {
                            batch.get(k).future.complete(AppendCodec.reply(replies.get(k)));
                        } catch (RuntimeException ex) {
                            batch.get(k).future.completeExceptionally(ex);
                        }
                    }
                    return;
                } catch (RuntimeException ex) {
                    cause = ex;
                }
            }
            String why = cause instanceof TimeoutException ? "no answer within " + timeout.toMillis() + " ms" : String.valueOf(cause);
            StoreUnavailableException failure = new StoreUnavailableException("writer " + writer + ": " + why, cause);
            for (Pending p : batch) {
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
