package io.stickyring.chat.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.Conversation;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.RejectedException;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.model.StoredMessage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link MessageStore} must show. An implementation's test extends this class
 * and provides a fresh, empty store per test ({@link #openFresh()}, reporting its commits into
 * {@link #countingMetrics}) and a way to reopen the same data ({@link #reopen()}: close the
 * current instance, open a new one on the same database).
 */
@Timeout(60)
public abstract class MessageStoreContract {
    protected MessageStore store;
    protected final AtomicInteger commits = new AtomicInteger();
    protected final AtomicInteger committedOps = new AtomicInteger();
    /** Counts commits and committed operations; {@link #openFresh()} stores report into it. */
    protected final StoreMetrics countingMetrics = new StoreMetrics() {
        @Override
        public void committed(int batchSize, long nanos) {
            commits.incrementAndGet();
            committedOps.addAndGet(batchSize);
        }
    };

    /** A new store over empty data; called once per test. */
    protected abstract MessageStore openFresh() throws Exception;

    /** Closes {@code store} and opens a new instance on the same data. */
    protected abstract MessageStore reopen() throws Exception;

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    protected static AppendResult join(CompletableFuture<AppendResult> f) {
        return f.join();
    }

    private static String id() {
        return UUID.randomUUID().toString();
    }

    @Test
    void concurrentSendsShareCommits() throws Exception {
        store = openFresh();
        String dm = Conversations.dmId("alice", "bob");
        List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            futures.add(store.append(new SendRequest("alice", id(), dm, "m")));
        }
        futures.forEach(CompletableFuture::join);
        assertThat(committedOps.get()).isEqualTo(2000);
        // Group commit: 2000 queued sends must not take one commit each.
        assertThat(commits.get()).isLessThan(2000);
    }

    @Test
    void appendAfterCloseFailsRetryably() throws Exception {
        store = openFresh();
        store.close();
        assertThatThrownBy(() -> store.append(new SendRequest("alice", "x", Conversations.dmId("alice", "bob"), "b")).join())
                .cause().isInstanceOf(StoreUnavailableException.class);
    }

    @Test
    void appendGivesDenseSeqAndContiguousCursorsForEveryMember() throws Exception {
        store = openFresh();
        String dm = Conversations.dmId("alice", "bob");
        List<AppendResult> results = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            results.add(join(store.append(new SendRequest(i % 2 == 0 ? "alice" : "bob", id(), dm, "m" + i))));
        }
        assertThat(results).extracting(r -> r.ack().seq()).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(results).allMatch(r -> !r.duplicate());
        assertThat(results.get(0).cursors()).containsEntry("alice", 1L).containsEntry("bob", 1L);
        List<InboxEntry> bob = store.readInbox("bob", 0, 100);
        assertThat(bob).extracting(InboxEntry::cursor).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(bob).extracting(e -> e.message().body()).containsExactly("m0", "m1", "m2", "m3", "m4");
        assertThat(store.readInbox("bob", 3, 100)).extracting(InboxEntry::cursor).containsExactly(4L, 5L);
        assertThat(store.readInbox("bob", 0, 2)).extracting(InboxEntry::cursor).containsExactly(1L, 2L);
        assertThat(store.inboxHead("bob")).isEqualTo(5);
        assertThat(store.inboxHead("carol")).isZero();
    }

    @Test
    void cursorsAreContiguousAcrossConversations() throws Exception {
        store = openFresh();
        join(store.append(new SendRequest("alice", id(), Conversations.dmId("alice", "bob"), "1")));
        join(store.append(new SendRequest("carol", id(), Conversations.dmId("bob", "carol"), "2")));
        join(store.append(new SendRequest("alice", id(), Conversations.dmId("alice", "carol"), "3")));
        assertThat(store.readInbox("bob", 0, 10)).extracting(InboxEntry::cursor).containsExactly(1L, 2L);
        assertThat(store.readInbox("carol", 0, 10)).extracting(InboxEntry::cursor).containsExactly(1L, 2L);
        assertThat(store.readInbox("carol", 0, 10)).extracting(e -> e.message().body()).containsExactly("2", "3");
    }

    @Test
    void resendReturnsTheOriginalAckAndDeliversNothing() throws Exception {
        store = openFresh();
        String dm = Conversations.dmId("alice", "bob");
        String id = id();
        AppendResult first = join(store.append(new SendRequest("alice", id, dm, "hello")));
        for (int n : new int[] {1, 49}) {
            for (int i = 0; i < n; i++) {
                AppendResult again = join(store.append(new SendRequest("alice", id, dm, "hello")));
                assertThat(again.ack()).isEqualTo(first.ack());
                assertThat(again.duplicate()).isTrue();
                assertThat(again.cursors()).isEmpty();
            }
        }
        assertThat(store.readInbox("bob", 0, 100)).hasSize(1);
        assertThat(store.history(dm, Long.MAX_VALUE, 100)).hasSize(1);
    }

    @Test
    void concurrentResendsOfOneIdStoreOneMessage() throws Exception {
        store = openFresh();
        String dm = Conversations.dmId("alice", "bob");
        String id = id();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<AppendResult>> futures = IntStream.range(0, 50)
                    .mapToObj(i -> CompletableFuture.supplyAsync(() -> store.append(new SendRequest("alice", id, dm, "x")), pool)
                            .thenCompose(f -> f))
                    .toList();
            List<AppendResult> results = futures.stream().map(CompletableFuture::join).toList();
            assertThat(results.stream().map(AppendResult::ack).collect(Collectors.toSet())).hasSize(1);
            assertThat(results.stream().filter(r -> !r.duplicate()).count()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
        assertThat(store.readInbox("bob", 0, 100)).hasSize(1);
    }

    @Test
    void sameClientIdFromDifferentSendersIsTwoMessages() throws Exception {
        store = openFresh();
        String dm = Conversations.dmId("alice", "bob");
        String id = id();
        AppendResult a = join(store.append(new SendRequest("alice", id, dm, "a")));
        AppendResult b = join(store.append(new SendRequest("bob", id, dm, "b")));
        assertThat(a.duplicate()).isFalse();
        assertThat(b.duplicate()).isFalse();
        assertThat(b.ack().seq()).isEqualTo(2);
    }

    @Test
    void concurrentSendsKeepSeqAndCursorsDense() throws Exception {
        store = openFresh();
        String dm = Conversations.dmId("alice", "bob");
        List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            futures.add(store.append(new SendRequest(i % 3 == 0 ? "bob" : "alice", id(), dm, "m" + i)));
        }
        Set<Long> seqs = futures.stream().map(f -> f.join().ack().seq()).collect(Collectors.toSet());
        assertThat(seqs).hasSize(300).allMatch(s -> s >= 1 && s <= 300);
        assertThat(store.readInbox("alice", 0, 1000)).extracting(InboxEntry::cursor)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 300).mapToObj(i -> (long) i).toList());
    }

    @Test
    void aRefusedSendToADirectConversationLeavesNoTrace() throws Exception {
        store = openFresh();
        String dm = Conversations.dmId("alice", "bob");
        assertThat(rejectionCode(store.append(new SendRequest("mallory", id(), dm, "x")))).isEqualTo("not_member");
        // Membership is decided before anything is written: the direct conversation got no rows.
        assertThat(store.conversationsOf("alice")).isEmpty();
        assertThat(store.conversationsOf("bob")).isEmpty();
        assertThat(store.inboxHead("alice")).isZero();
        // Its first stored message creates it, for both members.
        join(store.append(new SendRequest("alice", id(), dm, "hi")));
        assertThat(store.conversationsOf("bob")).extracting(Conversation::id).containsExactly(dm);
    }

    @Test
    void nonMemberIsRejectedAndNothingIsStored() throws Exception {
        store = openFresh();
        String dm = Conversations.dmId("alice", "bob");
        assertThatThrownBy(() -> join(store.append(new SendRequest("mallory", id(), dm, "x"))))
                .isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(RejectedException.class)
                .satisfies(e -> assertThat(((RejectedException) e).code()).isEqualTo("not_member"));
        assertThatThrownBy(() -> join(store.append(new SendRequest("alice", id(), "g:doesnotexist", "x"))))
                .cause().isInstanceOf(RejectedException.class)
                .satisfies(e -> assertThat(((RejectedException) e).code()).isEqualTo("unknown_conversation"));
        assertThatThrownBy(() -> join(store.append(new SendRequest("alice", id(), "dm:bob:alice", "x"))))
                .cause().isInstanceOf(RejectedException.class);
        assertThat(store.readInbox("alice", 0, 10)).isEmpty();
        assertThat(store.readInbox("bob", 0, 10)).isEmpty();
        assertThat(store.history(dm, Long.MAX_VALUE, 10)).isEmpty();
    }

    @Test
    void groupsDeliverToEveryMember() throws Exception {
        store = openFresh();
        Conversation g = store.createGroup("alice", Set.of("bob", "carol"), "team").join();
        assertThat(g.id()).startsWith("g:");
        assertThat(g.members()).containsExactly("alice", "bob", "carol");
        assertThat(store.conversation(g.id())).contains(g);
        AppendResult r = join(store.append(new SendRequest("carol", id(), g.id(), "hi all")));
        assertThat(r.cursors()).containsOnlyKeys("alice", "bob", "carol");
        assertThat(store.readInbox("alice", 0, 10)).hasSize(1);
        assertThatThrownBy(() -> join(store.append(new SendRequest("dave", id(), g.id(), "x"))))
                .cause().isInstanceOf(RejectedException.class);
        join(store.append(new SendRequest("alice", id(), Conversations.dmId("alice", "bob"), "dm")));
        assertThat(store.conversationsOf("alice")).extracting(Conversation::id)
                .containsExactlyInAnyOrder(g.id(), "dm:alice:bob");
        assertThat(store.conversationsOf("carol")).extracting(Conversation::id).containsExactly(g.id());
        // The per-user cap counts groups only, not direct conversations.
        assertThat(store.groupCount("alice")).isEqualTo(1);
        assertThat(store.groupCount("dave")).isZero();
        store.createGroup("bob", Set.of("alice"), "second").join();
        assertThat(store.groupCount("alice")).isEqualTo(2);
    }

    private static String rejectionCode(CompletableFuture<?> f) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(f::join);
        assertThat(t).isInstanceOf(CompletionException.class).cause().isInstanceOf(RejectedException.class);
        return ((RejectedException) t.getCause()).code();
    }

    @Test
    void aMemberWhoLeftAGroupCanNoLongerSendOrReceiveInIt() throws Exception {
        store = openFresh();
        Conversation g = store.createGroup("alice", Set.of("bob", "carol"), "team").join();
        join(store.append(new SendRequest("bob", id(), g.id(), "before")));
        assertThat(store.conversation(g.id()).orElseThrow().members()).contains("bob"); // cached now

        Conversation after = store.leaveGroup(g.id(), "bob").join();
        assertThat(after.members()).containsExactly("alice", "carol");
        assertThat(store.conversation(g.id()).orElseThrow().members()).containsExactly("alice", "carol");
        assertThat(rejectionCode(store.append(new SendRequest("bob", id(), g.id(), "after")))).isEqualTo("not_member");
        AppendResult r = join(store.append(new SendRequest("alice", id(), g.id(), "without bob")));
        assertThat(r.cursors()).containsOnlyKeys("alice", "carol");
        assertThat(store.readInbox("bob", 0, 10)).extracting(e -> e.message().body()).containsExactly("before");
        assertThat(store.conversationsOf("bob")).isEmpty();
        assertThat(store.groupCount("bob")).isZero();

        assertThat(rejectionCode(store.leaveGroup(g.id(), "bob"))).isEqualTo("not_member");
        assertThat(rejectionCode(store.leaveGroup("g:doesnotexist", "bob"))).isEqualTo("unknown_conversation");
        assertThat(rejectionCode(store.leaveGroup(Conversations.dmId("alice", "bob"), "bob"))).isEqualTo("bad_request");
        // The leave is durable.
        store = reopen();
        assertThat(store.conversation(g.id()).orElseThrow().members()).containsExactly("alice", "carol");
    }

    @Test
    void aLeaveInTheSameBatchAsSendsOrdersWithThem() throws Exception {
        store = openFresh();
        Conversation g = store.createGroup("alice", Set.of("bob"), "pair").join();
        join(store.append(new SendRequest("alice", id(), g.id(), "warm the cache")));
        // Queued back to back, so they usually share one batch: sends queued after the leave
        // must not reach bob's inbox, and bob's own later send is refused.
        CompletableFuture<Conversation> leave = store.leaveGroup(g.id(), "bob");
        CompletableFuture<AppendResult> fromAlice = store.append(new SendRequest("alice", id(), g.id(), "after leave"));
        CompletableFuture<AppendResult> fromBob = store.append(new SendRequest("bob", id(), g.id(), "too late"));
        leave.join();
        assertThat(join(fromAlice).cursors()).containsOnlyKeys("alice");
        assertThat(rejectionCode(fromBob)).isEqualTo("not_member");
    }

    @Test
    void badGroupMembersAreRejected() throws Exception {
        store = openFresh();
        assertThatThrownBy(() -> store.createGroup("alice", Set.of("bad:id"), "t").join())
                .cause().isInstanceOf(RejectedException.class).hasMessageContaining("bad:id");
    }

    @Test
    void historyPagesBackwards() throws Exception {
        store = openFresh();
        String dm = Conversations.dmId("alice", "bob");
        for (int i = 1; i <= 10; i++) {
            join(store.append(new SendRequest("alice", id(), dm, "m" + i)));
        }
        assertThat(store.history(dm, Long.MAX_VALUE, 3)).extracting(StoredMessage::seq).containsExactly(8L, 9L, 10L);
        assertThat(store.history(dm, 8, 3)).extracting(StoredMessage::seq).containsExactly(5L, 6L, 7L);
        assertThat(store.history(dm, 2, 3)).extracting(StoredMessage::seq).containsExactly(1L);
    }

    @Test
    void markReadIsMonotonic() throws Exception {
        store = openFresh();
        String dm = Conversations.dmId("alice", "bob");
        assertThat(store.markRead(dm, "bob", 5).join()).isEqualTo(5);
        assertThat(store.markRead(dm, "bob", 3).join()).isEqualTo(5);
        assertThatThrownBy(() -> store.markRead(dm, "eve", 1).join()).cause().isInstanceOf(RejectedException.class);
    }

    @Test
    void everythingSurvivesReopenAndCountersContinue() throws Exception {
        store = openFresh();
        String dm = Conversations.dmId("alice", "bob");
        String id = id();
        AppendResult first = join(store.append(new SendRequest("alice", id, dm, "one")));
        Conversation g = store.createGroup("alice", Set.of("bob"), "g").join();
        join(store.append(new SendRequest("bob", id(), g.id(), "two")));
        store = reopen();
        assertThat(join(store.append(new SendRequest("alice", id, dm, "one"))).ack()).isEqualTo(first.ack());
        AppendResult third = join(store.append(new SendRequest("bob", id(), dm, "three")));
        assertThat(third.ack().seq()).isEqualTo(2);
        assertThat(third.cursors()).containsEntry("alice", 3L).containsEntry("bob", 3L);
        assertThat(store.conversation(g.id())).isPresent();
        Set<Long> cursors = new HashSet<>();
        store.readInbox("alice", 0, 10).forEach(e -> cursors.add(e.cursor()));
        assertThat(cursors).containsExactlyInAnyOrder(1L, 2L, 3L);
    }
}
