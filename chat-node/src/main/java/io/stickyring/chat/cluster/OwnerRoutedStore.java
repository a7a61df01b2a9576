package io.stickyring.chat.cluster;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.stickyring.chat.store.AppendResult;
import io.stickyring.chat.store.Conversation;
import io.stickyring.chat.store.InboxEntry;
import io.stickyring.chat.store.MessageStore;
import io.stickyring.chat.store.SendRequest;
import io.stickyring.chat.store.StoreUnavailableException;
import io.stickyring.chat.store.StoredMessage;
import io.stickyring.ring.ConsistentHash;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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

    /**
     * @param selfWriterId this node's writer id when it commits ({@code role all/writer}), else null
     * @param beforeLocalClose stops taking requests (writer registration, responder subscription)
     * @param afterLocalClose  runs once the local store has completed its queued writes (ring, NATS)
     */
    public OwnerRoutedStore(MessageStore local, WriterRing writers, Connection nats, String prefix, String selfWriterId,
                            Duration timeout, Runnable beforeLocalClose, Runnable afterLocalClose) {
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
        byte[] body = AppendCodec.request(request);
        return attempt(request, h, order, n, 0, body);
    }

    private CompletableFuture<AppendResult> attempt(SendRequest request, ConsistentHash h, int[] order, int n, int i, byte[] body) {
        String writer = h.nodes().get(order[i]).id();
        if (writer.equals(selfWriterId)) {
            return local.append(request);
        }
        CompletableFuture<Message> reply = nats.request(subject(prefix, writer), body)
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return reply.handle((m, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(AppendCodec.reply(m.getData()));
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof CancellationException) {
                // No responders: the writer is gone (its subscription died with it); try the next
                // one, and when no listed writer answers, commit here.
                return i + 1 < n ? attempt(request, h, order, n, i + 1, body) : local.append(request);
            }
            String why = cause instanceof TimeoutException ? "no answer within " + timeout.toMillis() + " ms"
                    : cause instanceof CancellationException ? "no writer answers" : String.valueOf(cause);
            return CompletableFuture.<AppendResult>failedFuture(new StoreUnavailableException(
                    "writer " + writer + ": " + why, cause));
        }).thenCompose(f -> f);
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
