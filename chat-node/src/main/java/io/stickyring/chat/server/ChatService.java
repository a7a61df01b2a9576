package io.stickyring.chat.server;

import io.stickyring.chat.bus.BusEvent;
import io.stickyring.chat.bus.MessageBus;
import io.stickyring.chat.model.Ack;
import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.Conversation;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.RejectedException;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.model.StoredMessage;
import io.stickyring.chat.protocol.ErrorCodes;
import io.stickyring.chat.store.MessageStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The transport-independent chat operations shared by the WebSocket session and the HTTP API:
 * validate, check membership, go to the store, publish to the bus. Every store call runs on
 * {@code blocking} (or completes from the store's own writer), never on the caller's event loop;
 * adapters see futures only, not the store or the executor.
 *
 * <p>The send path is owned here: validate -> durable append (idempotent) -> complete the ack
 * future (the adapter writes the ack from that completion) -> publish one delivery per member.
 * The ack completes before the publish, so a sender's own session writes its {@code ack} before
 * the {@code msg} of the same message. A resend publishes nothing.
 *
 * <p>The service owns the node's {@link SessionRegistry} (who listens here for which user). The
 * recent-inbox cache gets each delivery once: a member with a listener on this node through the
 * registry's tap when the bus brings the delivery ({@link #noteDelivery}, for appends of this
 * node and of others alike); a member without one at append time (so that a reconnect a few
 * messages behind is served from memory). A listener that attaches between the two may see the
 * entry put twice, which is harmless: the cache is keyed by cursor. Store reads fill it on a miss.
 */
public final class ChatService {
    public static final int MAX_CLIENT_ID = 64;

    private final MessageStore store;
    private final MessageBus bus;
    private final Executor blocking;
    private final NodeConfig config;
    private final ChatMetrics metrics;
    private final RecentInboxCache recent = new RecentInboxCache(RECENT_USERS, RECENT_PER_USER);
    private final SessionRegistry registry;

    /** Users whose latest inbox entries are kept in memory, and how many entries each. */
    static final int RECENT_USERS = 50_000;
    static final int RECENT_PER_USER = 64;

    /** Entries read for a replay; {@code cached} when served from memory (the caller then confirms the tail with the store). */
    public record InboxRead(List<InboxEntry> entries, boolean cached) { }

    public ChatService(MessageStore store, MessageBus bus, Executor blocking, NodeConfig config, ChatMetrics metrics) {
        this.store = store;
        this.bus = bus;
        this.blocking = blocking;
        this.config = config;
        this.metrics = metrics;
        this.registry = new SessionRegistry(bus, this::noteDelivery);
    }

    /** Who on this node listens for which user's events (sessions, long polls). */
    public SessionRegistry registry() {
        return registry;
    }

    private static <T> CompletableFuture<T> reject(String code, String message) {
        return CompletableFuture.failedFuture(new RejectedException(code, message));
    }

    /**
     * Validates, durably appends and fans out; completes with the ack after the commit (or with
     * the original ack of a resend). Deliveries are published after the completion, on
     * {@code fanOutOn} (the caller's event loop: the store's commit thread only completes the ack
     * and goes back to committing), even if the sender has gone meanwhile: the message is durable
     * and the other members want it.
     */
    public CompletableFuture<Ack> send(String user, String id, String conv, String body, Executor fanOutOn) {
        if (id == null || id.isEmpty() || id.length() > MAX_CLIENT_ID) {
            return reject(ErrorCodes.BAD_REQUEST, "send needs 'id', a string of 1.." + MAX_CLIENT_ID + " chars");
        }
        if (conv == null || conv.isEmpty() || conv.length() > Conversations.MAX_ID_LENGTH) {
            return reject(ErrorCodes.BAD_REQUEST, "send needs 'conv', a conversation id");
        }
        if (body == null) {
            return reject(ErrorCodes.BAD_REQUEST, "send needs 'body', a string");
        }
        int bytes = body.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > config.maxBodyBytes()) {
            return reject(ErrorCodes.TOO_LARGE, "body of " + bytes + " bytes exceeds the limit of " + config.maxBodyBytes());
        }
        CompletableFuture<Ack> ack = new CompletableFuture<>();
        store.append(new SendRequest(user, id, conv, body)).whenComplete((r, e) -> {
            if (e != null) {
                ack.completeExceptionally(e);
                return;
            }
            if (!r.duplicate()) {
                metrics.messagesStored.inc();
            }
            // Dependents (the adapter queuing the ack write) run inside complete(), before the publish is queued.
            ack.complete(r.ack());
            if (!r.duplicate() && !r.cursors().isEmpty()) {
                try {
                    fanOutOn.execute(() -> fanOut(r));
                } catch (RejectedExecutionException rejected) {
                    fanOut(r); // the caller's loop is shutting down; the message is durable and still goes out
                }
            }
        });
        return ack;
    }

    /** Publishes a first-time append to the inbox of every member (sender's other devices included). */
    private void fanOut(AppendResult r) {
        if (r.duplicate() || r.cursors().isEmpty()) {
            return;
        }
        List<BusEvent> events = new ArrayList<>(r.cursors().size());
        for (Map.Entry<String, Long> e : r.cursors().entrySet()) {
            if (!registry.has(e.getKey())) {
                // No listener here, so the tap will not see it: remember it for a reconnect here.
                recent.add(e.getKey(), e.getValue(), r.message());
            }
            events.add(new BusEvent.Delivery(e.getKey(), e.getValue(), r.message()));
        }
        bus.publishAll(events);
    }

    /** The registry's tap: remembers a delivery that reached a listener on this node. */
    private void noteDelivery(BusEvent event) {
        if (event instanceof BusEvent.Delivery d) {
            recent.add(d.user(), d.cursor(), d.message());
        }
    }

    /** Up to {@code limit} inbox entries after {@code after}, from memory when the recent cache has them. */
    public CompletableFuture<InboxRead> readInbox(String user, long after, int limit) {
        return CompletableFuture.supplyAsync(() -> readInboxNow(user, after, limit), blocking);
    }

    /** The highest cursor of {@code user}'s inbox (0 when empty). */
    public CompletableFuture<Long> inboxHead(String user) {
        return CompletableFuture.supplyAsync(() -> store.inboxHead(user), blocking);
    }

    /** Times the recent-inbox cache was filled (tests: one fill per delivery). */
    long cacheFills() {
        return recent.fills();
    }

    private InboxRead readInboxNow(String user, long after, int limit) {
        var hit = recent.read(user, after, limit);
        if (hit.isPresent()) {
            metrics.inboxCache.labelValues("hit").inc();
            return new InboxRead(hit.get(), true);
        }
        metrics.inboxCache.labelValues("miss").inc();
        List<InboxEntry> entries = store.readInbox(user, after, limit);
        for (InboxEntry e : entries) {
            recent.add(user, e.cursor(), e.message());
        }
        return new InboxRead(entries, false);
    }

    /** The conversation if {@code user} is a member; fails with not_member / unknown_conversation. */
    public CompletableFuture<Conversation> memberOf(String user, String conv) {
        if (conv == null || conv.isEmpty() || conv.length() > Conversations.MAX_ID_LENGTH) {
            return reject(ErrorCodes.BAD_REQUEST, "missing or invalid 'conv'");
        }
        return CompletableFuture.supplyAsync(() -> {
            Conversation c = store.conversation(conv).orElseThrow(
                    () -> new RejectedException(ErrorCodes.UNKNOWN_CONVERSATION, "no conversation '" + conv + "'"));
            if (!c.hasMember(user)) {
                throw new RejectedException(ErrorCodes.NOT_MEMBER, "user '" + user + "' is not a member of '" + conv + "'");
            }
            return c;
        }, blocking);
    }

    /** Ephemeral: tells the other members that {@code user} is typing. Never stored. */
    public CompletableFuture<Void> typing(String user, String conv) {
        return memberOf(user, conv).thenAccept(c -> {
            for (String m : c.members()) {
                if (!m.equals(user)) {
                    bus.publish(new BusEvent.Typing(m, c.id(), user));
                }
            }
        });
    }

    /** Records the read mark and sends a receipt to every member (the reader's other devices too). */
    public CompletableFuture<Long> markRead(String user, String conv, long seq) {
        // Clamped to the conversation's head: a mark past the last message would hide later ones as read.
        return memberOf(user, conv).thenComposeAsync(c -> {
            List<StoredMessage> last = store.history(c.id(), Long.MAX_VALUE, 1);
            long head = last.isEmpty() ? 0 : last.get(0).seq();
            return store.markRead(c.id(), user, Math.min(seq, head)).thenApply(mark -> {
                for (String m : c.members()) {
                    bus.publish(new BusEvent.Receipt(m, c.id(), user, mark));
                }
                return mark;
            });
        }, blocking);
    }

    /** A page of history ending below {@code before} (0 or absent = latest), at most the configured limit. */
    public CompletableFuture<List<StoredMessage>> history(String user, String conv, long before, long limit) {
        long beforeSeq = before <= 0 ? Long.MAX_VALUE : before;
        int n = (int) Math.max(1, Math.min(limit <= 0 ? 50 : limit, config.historyMaxLimit()));
        return memberOf(user, conv).thenApplyAsync(c -> store.history(c.id(), beforeSeq, n), blocking);
    }

    public CompletableFuture<Conversation> createGroup(String user, Set<String> members, String title) {
        if (title != null && title.length() > 200) {
            return reject(ErrorCodes.BAD_REQUEST, "title of " + title.length() + " chars exceeds 200");
        }
        // Per-user membership cap, checked before the write (concurrent creations may overshoot by their number).
        return CompletableFuture.supplyAsync(() -> {
            java.util.TreeSet<String> all = new java.util.TreeSet<>(members);
            all.add(user);
            if (all.size() > MAX_CHECKED_MEMBERS) {
                return all; // the store refuses it with its member cap; do not count for it
            }
            for (String m : all) {
                if (Conversations.validUser(m) && store.groupCount(m) >= config.maxGroupsPerUser()) {
                    throw new RejectedException(ErrorCodes.TOO_MANY_GROUPS, "user '" + m + "' is already in "
                            + config.maxGroupsPerUser() + " groups (the limit)");
                }
            }
            return all;
        }, blocking).thenCompose(all -> store.createGroup(user, all, title == null ? "" : title));
    }

    /**
     * {@code user} leaves group {@code conv}: after the commit this node's store has dropped its
     * cached member list and the bus tells the other nodes to drop theirs, so the user can neither
     * send to nor read the group anywhere. Completes with the group as it now is.
     */
    public CompletableFuture<Conversation> leave(String user, String conv) {
        if (conv == null || conv.isEmpty() || conv.length() > Conversations.MAX_ID_LENGTH) {
            return reject(ErrorCodes.BAD_REQUEST, "leave needs 'conv', a group id");
        }
        return store.leaveGroup(conv, user).thenApply(c -> {
            bus.publishGroupChanged(c.id());
            return c;
        });
    }

    /** More members than any store accepts (its own cap answers); the membership count is skipped. */
    private static final int MAX_CHECKED_MEMBERS = 10_000;

    public CompletableFuture<List<Conversation>> conversations(String user) {
        return CompletableFuture.supplyAsync(() -> store.conversationsOf(user), blocking);
    }
}
