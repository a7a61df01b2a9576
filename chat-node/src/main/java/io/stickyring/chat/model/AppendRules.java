package io.stickyring.chat.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The append rules, stated once. Every store runs them inside its write transaction, over the sends
 * of one batch in queue order, and keeps only its own SQL (SQLite one statement per row, PostgreSQL
 * one statement per batch):
 * <ol>
 *   <li><b>Idempotence.</b> {@code (sender, clientId)} names one message forever: a resend answers
 *       with the original ack (same seq, same ts), {@code duplicate = true} and no cursors, whether
 *       the original committed earlier or comes earlier in the same batch. Nothing is delivered
 *       twice.</li>
 *   <li><b>Membership before anything is written.</b> The conversation must exist
 *       ({@code unknown_conversation}) and the sender must be a member ({@code not_member}). A
 *       refused send leaves no trace, and the rest of its batch stands.</li>
 *   <li><b>Direct conversations are created by their first message.</b> {@code dm:<a>:<b>} exists
 *       implicitly; its conversation row (created by that message's sender) and its two member
 *       rows are written in the transaction of its first stored message, not before.</li>
 *   <li><b>Dense numbering.</b> A stored message takes its conversation's next seq, then every
 *       member (the sender included, so the sender's other devices see it) takes the next cursor
 *       of their inbox. Seq and cursors start at 1 and never skip; within a batch they follow
 *       queue order, so each user's inbox agrees with seq order in every conversation.</li>
 * </ol>
 * One instance per transaction attempt (it remembers what the batch decided so far); writer
 * thread only.
 */
public final class AppendRules {

    /** What rules 1 and 2 ask the store, answered as the transaction sees it. */
    public interface Lookup<E extends Exception> {
        /** The committed message of {@code (sender, clientId)}, if any. */
        Optional<StoredMessage> committed(String sender, String clientId) throws E;

        /** The conversation, with the groups this batch created or changed so far. */
        Optional<Conversation> conversation(String id) throws E;
    }

    /** The counters of rule 4, as the transaction sees them: each call takes the next number. */
    public interface Counters<E extends Exception> {
        long nextSeq(String conv) throws E;

        long nextCursor(String user) throws E;
    }

    /** One send of the batch and what the rules made of it. */
    public static final class Send {
        private final SendRequest request;
        private Conversation conversation;
        private boolean opensDirect;
        private Send original;
        private AppendResult result;
        private RejectedException rejection;

        private Send(SendRequest request) {
            this.request = request;
        }

        public SendRequest request() {
            return request;
        }

        /** Refused by rule 2: nothing of it may be written. */
        public Optional<RejectedException> rejection() {
            return Optional.ofNullable(rejection);
        }

        /** A resend (rule 1): answered by {@link #result()}, nothing written. */
        public boolean duplicate() {
            return original != null || result != null && result.duplicate();
        }

        /** To be stored: numbered by {@link #number} and written. */
        public boolean fresh() {
            return conversation != null;
        }

        /** The conversation a fresh send goes to. */
        public Conversation conversation() {
            return conversation;
        }

        /** Rule 3: this send's transaction creates its direct conversation's rows (if they are not there yet). */
        public boolean opensDirect() {
            return opensDirect;
        }

        /** The outcome: at once for a committed resend, after {@link #number} for a fresh send and its resends in the batch. */
        public AppendResult result() {
            if (original != null) {
                return duplicateOf(original.result().message());
            }
            if (result == null) {
                throw new IllegalStateException("send " + request.clientId() + " of " + request.sender() + " is not numbered yet");
            }
            return result;
        }
    }

    private final Map<String, Send> firstByKey = new HashMap<>();
    private final Set<String> directsOpened = new HashSet<>();
    private final List<Send> fresh = new ArrayList<>();

    /** Rules 1 to 3 for the next send of the batch (queue order). */
    public <E extends Exception> Send decide(SendRequest request, Lookup<E> store) throws E {
        Send s = new Send(request);
        String key = request.sender() + '\u0000' + request.clientId();
        Send earlier = firstByKey.get(key);
        if (earlier != null) {
            s.original = earlier;
            return s;
        }
        Optional<StoredMessage> committed = store.committed(request.sender(), request.clientId());
        if (committed.isPresent()) {
            s.result = duplicateOf(committed.get());
            return s;
        }
        Conversation conv = store.conversation(request.conv()).orElse(null);
        Optional<RejectedException> refused = membership(request.conv(), conv, request.sender());
        if (refused.isPresent()) {
            s.rejection = refused.get();
            return s;
        }
        s.conversation = conv;
        s.opensDirect = conv.kind() == Conversation.Kind.DIRECT && directsOpened.add(conv.id());
        firstByKey.put(key, s);
        fresh.add(s);
        return s;
    }

    /**
     * Rule 2 on its own, for every write a member makes (a send, a read mark): the refusal when
     * {@code conv} (the conversation {@code id} as the transaction sees it, or null) does not exist
     * or {@code user} is not one of its members.
     */
    public static Optional<RejectedException> membership(String id, Conversation conv, String user) {
        if (conv == null) {
            return Optional.of(RejectedException.unknownConversation(id));
        }
        if (!conv.hasMember(user)) {
            return Optional.of(RejectedException.notMember(user, id));
        }
        return Optional.empty();
    }

    /** The fresh sends decided so far, in queue order. */
    public List<Send> fresh() {
        return List.copyOf(fresh);
    }

    /** Rule 4 for a fresh send: its seq, then each member's cursor; {@code ts} is its commit time. */
    public <E extends Exception> AppendResult number(Send s, long ts, Counters<E> counters) throws E {
        if (!s.fresh() || s.result != null) {
            throw new IllegalStateException("only a fresh send is numbered, once");
        }
        Conversation conv = s.conversation;
        SendRequest req = s.request;
        StoredMessage m = new StoredMessage(conv.id(), counters.nextSeq(conv.id()), req.clientId(), req.sender(), req.body(), ts);
        Map<String, Long> cursors = new LinkedHashMap<>();
        for (String member : conv.members()) {
            cursors.put(member, counters.nextCursor(member));
        }
        s.result = new AppendResult(Ack.of(m), false, m, cursors);
        return s.result;
    }

    private static AppendResult duplicateOf(StoredMessage m) {
        return new AppendResult(Ack.of(m), true, m, Map.of());
    }
}
