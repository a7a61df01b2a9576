package io.stickyring.chat.store;

import io.stickyring.chat.model.Ack;
import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.AppendRules;
import io.stickyring.chat.model.Conversation;
import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.InboxFeed;
import io.stickyring.chat.model.RejectedException;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.model.StoredMessage;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The durable store of record for messages, conversations and per-user inboxes. Implementations:
 * {@link SqliteMessageStore} (embedded) and, in cluster mode, a PostgreSQL store; each runs the
 * same contract test suite ({@code MessageStoreContract} in the test sources).
 *
 * <p>Appends follow the model's {@link AppendRules} (idempotence, membership before any write,
 * direct conversations created by their first message, dense numbering): a store runs them inside
 * its write transaction and supplies only the SQL. Invariants every implementation keeps:
 * <ul>
 *   <li>{@link #append} completes only after the message, its conversation seq and every member's
 *       inbox entry are committed durably (fsync'd); a failure completes exceptionally with
 *       {@link StoreUnavailableException} (retryable) or {@link RejectedException} (not retryable)
 *       and nothing is half-stored.</li>
 *   <li>{@code (sender, clientId)} is unique: a resend completes with the original {@link Ack}
 *       (same seq, same ts), {@code duplicate = true}, and no new inbox entries.</li>
 *   <li>Per conversation, seq is 1, 2, 3, ... without gaps; per user, inbox cursors are 1, 2, 3, ...
 *       without gaps, and a message gets an entry in the inbox of every member (sender included,
 *       so the sender's other devices see it too).</li>
 * </ul>
 * Read methods are blocking and may be called from any thread; never call them on an event loop.
 */
public interface MessageStore extends AutoCloseable {

    /** Durably appends (or recognises a resend of) a message; see the class invariants. */
    CompletableFuture<AppendResult> append(SendRequest request);

    /** Up to {@code limit} inbox entries of {@code user} with cursor greater than {@code afterCursor}, ascending. */
    List<InboxEntry> readInbox(String user, long afterCursor, int limit);

    /** The highest inbox cursor of {@code user} (0 when the inbox is empty). */
    long inboxHead(String user);

    /** Up to {@code limit} messages of {@code conv} with seq below {@code beforeSeq}, ascending by seq. */
    List<StoredMessage> history(String conv, long beforeSeq, int limit);

    /** Creates a group with these members (the creator is always added); completes after commit. */
    CompletableFuture<Conversation> createGroup(String creator, Set<String> members, String title);

    /**
     * The conversation with this id: a stored group, or a direct conversation {@code dm:<a>:<b>}
     * (which exists implicitly for any two valid user ids). Empty if unknown or malformed.
     */
    Optional<Conversation> conversation(String id);

    /** Every conversation {@code user} is a member of: groups, and direct ones that hold a message. */
    List<Conversation> conversationsOf(String user);

    /** How many groups {@code user} belongs to (for the per-user cap). */
    default int groupCount(String user) {
        return (int) conversationsOf(user).stream().filter(c -> c.kind() == Conversation.Kind.GROUP).count();
    }

    /**
     * Removes {@code user} from group {@code conv}; completes after the commit with the group as it
     * now is. Fails with {@link RejectedException}: {@code bad_request} (not a group id),
     * {@code unknown_conversation}, {@code not_member}. From then on this store neither accepts the
     * user's sends to the group nor gives the user new inbox entries of it; other nodes learn it
     * through {@link #invalidateGroup} (called on a bus notice).
     */
    default CompletableFuture<Conversation> leaveGroup(String conv, String user) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("leave is not supported by " + this));
    }

    /** Forgets any cached member list of {@code conv} (another node changed it); the next lookup reads the store. */
    default void invalidateGroup(String conv) {
    }

    /** Records that {@code user} has read {@code conv} up to {@code seq} (monotonic: never moves back). */
    CompletableFuture<Long> markRead(String conv, String user, long seq);

    /**
     * Every inbox entry in commit order across all the processes that write this store, if the store
     * can give it: what {@code --bus sqlite} tails (several node processes on one SQLite file).
     * Empty by default (a store that is not shared that way, or that has a bus of its own).
     */
    default Optional<InboxFeed> inboxFeed() {
        return Optional.empty();
    }

    /** Flushes queued writes (each completes or fails) and releases resources. Idempotent. */
    @Override
    void close();
}
