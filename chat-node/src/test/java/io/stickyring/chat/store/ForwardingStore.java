package io.stickyring.chat.store;

import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.Conversation;
import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.model.StoredMessage;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** A {@link MessageStore} that hands every call to {@code inner}; tests override what they inject faults or gates into. */
public abstract class ForwardingStore implements MessageStore {
    protected final MessageStore inner;

    protected ForwardingStore(MessageStore inner) {
        this.inner = inner;
    }

    @Override
    public CompletableFuture<AppendResult> append(SendRequest request) {
        return inner.append(request);
    }

    @Override
    public List<InboxEntry> readInbox(String user, long afterCursor, int limit) {
        return inner.readInbox(user, afterCursor, limit);
    }

    @Override
    public long inboxHead(String user) {
        return inner.inboxHead(user);
    }

    @Override
    public List<StoredMessage> history(String conv, long beforeSeq, int limit) {
        return inner.history(conv, beforeSeq, limit);
    }

    @Override
    public CompletableFuture<Conversation> createGroup(String creator, Set<String> members, String title) {
        return inner.createGroup(creator, members, title);
    }

    @Override
    public Optional<Conversation> conversation(String id) {
        return inner.conversation(id);
    }

    @Override
    public List<Conversation> conversationsOf(String user) {
        return inner.conversationsOf(user);
    }

    @Override
    public CompletableFuture<Long> markRead(String conv, String user, long seq) {
        return inner.markRead(conv, user, seq);
    }

    @Override
    public void close() {
        inner.close();
    }
}
