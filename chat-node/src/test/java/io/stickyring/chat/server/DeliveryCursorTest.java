package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.StoredMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The delivery-cursor machine alone, on a hand-driven loop and an in-memory inbox: every store
 * answer is held until the test releases it, so each interleaving of pushes, reads and syncs is
 * spelled out instead of raced.
 */
class DeliveryCursorTest {
    /** Tasks handed to the loop; run only by {@link #run}. */
    private final Queue<Runnable> tasks = new ArrayDeque<>();
    /** Retries of failed reads ({@link DeliveryCursor#RETRY_MILLIS}). */
    private final List<Runnable> scheduled = new ArrayList<>();
    /** Grace checks of held pushes ({@link DeliveryCursor#GAP_GRACE_MILLIS}). */
    private final List<Runnable> graces = new ArrayList<>();
    private final TreeMap<Long, StoredMessage> inbox = new TreeMap<>();
    /** Store answers not yet given: the test completes them. */
    private final Queue<CompletableFuture<Long>> heads = new ArrayDeque<>();
    private final Queue<PendingRead> reads = new ArrayDeque<>();
    private final List<String> out = new ArrayList<>();
    private boolean writable = true;
    /** When >= 0, the channel turns unwritable after this many more message writes. */
    private int writesUntilFull = -1;
    private boolean nextReadCached;

    private record PendingRead(long after, int limit, CompletableFuture<ChatService.InboxRead> future) { }

    private final DeliveryCursor.Loop loop = new DeliveryCursor.Loop() {
        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        @Override
        public void schedule(Runnable task, long delayMillis) {
            if (delayMillis == DeliveryCursor.GAP_GRACE_MILLIS) {
                graces.add(task);
                return;
            }
            assertThat(delayMillis).isEqualTo(DeliveryCursor.RETRY_MILLIS);
            scheduled.add(task);
        }
    };

    private final DeliveryCursor.Inbox store = new DeliveryCursor.Inbox() {
        @Override
        public CompletableFuture<Long> head() {
            CompletableFuture<Long> f = new CompletableFuture<>();
            heads.add(f);
            return f;
        }

        @Override
        public CompletableFuture<ChatService.InboxRead> read(long after, int limit) {
            PendingRead r = new PendingRead(after, limit, new CompletableFuture<>());
            reads.add(r);
            return r.future();
        }
    };

    private final DeliveryCursor.Output output = new DeliveryCursor.Output() {
        @Override
        public boolean writable() {
            return writable;
        }

        @Override
        public void welcome(long head) {
            out.add("welcome " + head);
        }

        @Override
        public void message(long cursor, StoredMessage m, boolean flush) {
            assertThat(m.id()).isEqualTo("m" + cursor);
            out.add("msg " + cursor);
            if (writesUntilFull > 0 && --writesUntilFull == 0) {
                writable = false;
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void synced(long cursor) {
            out.add("synced " + cursor);
        }

        @Override
        public void headFailed(Throwable cause) {
            out.add("headFailed");
        }

        @Override
        public void readFailed(Throwable cause) {
            out.add("readFailed");
        }
    };

    private DeliveryCursor cursor(int batch) {
        return new DeliveryCursor(loop, store, output, batch);
    }

    private static StoredMessage message(long cursor) {
        return new StoredMessage("dm:alice:bob", cursor, "m" + cursor, "alice", "body " + cursor, 1_000 + cursor);
    }

    private void append(long... cursors) {
        for (long c : cursors) {
            inbox.put(c, message(c));
        }
    }

    /** Runs loop tasks until none are left. */
    private void run() {
        Runnable t;
        while ((t = tasks.poll()) != null) {
            t.run();
        }
    }

    /** Answers the oldest head read from the inbox. */
    private void answerHead() {
        assertThat(heads).as("a head read is pending").isNotEmpty();
        heads.poll().complete(inbox.isEmpty() ? 0L : inbox.lastKey());
        run();
    }

    /** Answers the oldest catch-up read from the inbox; returns the cursor it read after. */
    private long answerRead() {
        PendingRead r = reads.poll();
        assertThat(r).as("a catch-up read is pending").isNotNull();
        List<InboxEntry> entries = new ArrayList<>();
        for (Map.Entry<Long, StoredMessage> e : inbox.tailMap(r.after(), false).entrySet()) {
            if (entries.size() == r.limit()) {
                break;
            }
            entries.add(new InboxEntry(e.getKey(), e.getValue()));
        }
        boolean cached = nextReadCached;
        nextReadCached = false;
        r.future().complete(new ChatService.InboxRead(entries, cached));
        run();
        return r.after();
    }

    /** Lets every grace period that is running now run out. */
    private void graceOver() {
        List<Runnable> due = new ArrayList<>(graces);
        graces.clear();
        due.forEach(Runnable::run);
        run();
    }

    /** Answers reads until the machine stops asking. */
    private void answerReads() {
        while (!reads.isEmpty()) {
            answerRead();
        }
    }

    @Test
    void openAnswersWelcomeThenReplaysAfterTheCursorThenReportsSynced() {
        append(1, 2, 3, 4, 5);
        DeliveryCursor c = cursor(100);
        c.open(2);
        assertThat(out).as("nothing before the head is known").isEmpty();
        answerHead();
        answerReads();
        assertThat(out).containsExactly("welcome 5", "msg 3", "msg 4", "msg 5", "synced 5");
        assertThat(c.sent()).isEqualTo(5);
    }

    @Test
    void aPushAtSentPlusOneIsWrittenAtOnceWithoutAStoreRead() {
        DeliveryCursor c = openedAt(0);
        append(1);
        c.offer(1, message(1));
        assertThat(out).containsExactly("msg 1");
        assertThat(reads).isEmpty();
    }

    @Test
    void aLostPushIsHealedFromTheStoreAfterTheGraceAndALatePushIsNotWrittenTwice() {
        DeliveryCursor c = openedAt(0);
        append(1, 2);
        c.offer(2, message(2)); // the push of 1 was lost
        assertThat(out).as("no write out of order").isEmpty();
        assertThat(reads).as("the missing push may still come").isEmpty();
        graceOver();
        assertThat(answerRead()).isZero();
        answerReads();
        c.offer(1, message(1)); // the lost one arrives after all
        assertThat(out).containsExactly("msg 1", "msg 2");
        assertThat(reads).isEmpty();
    }

    @Test
    void aReorderedPushIsHeldUntilTheMissingOneArrivesAndNoStoreReadHappens() {
        // One commit's deliveries are published from several threads: 2 may overtake 1.
        DeliveryCursor c = openedAt(0);
        append(1, 2, 3);
        c.offer(3, message(3));
        c.offer(2, message(2));
        assertThat(out).as("no write out of order").isEmpty();
        c.offer(1, message(1));
        assertThat(out).containsExactly("msg 1", "msg 2", "msg 3");
        assertThat(c.sent()).isEqualTo(3);
        graceOver();
        assertThat(reads).as("the reorder cost no store read").isEmpty();
        append(4);
        c.offer(4, message(4));
        assertThat(out).containsExactly("msg 1", "msg 2", "msg 3", "msg 4");
    }

    @Test
    void aGapThatOnlyPartlyClosesIsHealedFromTheStoreAfterTheGrace() {
        DeliveryCursor c = openedAt(0);
        append(1, 2, 3, 4);
        c.offer(2, message(2));
        c.offer(4, message(4)); // 3 is lost
        c.offer(1, message(1));
        assertThat(out).containsExactly("msg 1", "msg 2");
        assertThat(reads).isEmpty();
        graceOver();
        assertThat(answerRead()).isEqualTo(2);
        answerReads();
        assertThat(out).containsExactly("msg 1", "msg 2", "msg 3", "msg 4");
        assertThat(graces).isEmpty();
    }

    @Test
    void moreHeldPushesThanTheLimitAreReadFromTheStoreAtOnce() {
        DeliveryCursor c = openedAt(0);
        for (long k = 2; k <= DeliveryCursor.HOLD_MAX + 2; k++) {
            append(k);
            c.offer(k, message(k));
        }
        assertThat(reads).as("past the limit: read now, not after the grace").hasSize(1);
        append(1);
        answerReads();
        assertThat(c.sent()).isEqualTo(DeliveryCursor.HOLD_MAX + 2);
        graceOver();
        assertThat(reads).isEmpty();
        assertThat(out).hasSize(DeliveryCursor.HOLD_MAX + 2).startsWith("msg 1", "msg 2");
    }

    @Test
    void aSyncDropsHeldPushesAndItsReplayCoversThem() {
        DeliveryCursor c = openedAt(0);
        append(1, 2, 3);
        c.offer(3, message(3));
        c.sync(0);
        answerHead();
        answerReads();
        assertThat(out).containsExactly("msg 1", "msg 2", "msg 3", "synced 3");
        graceOver();
        c.offer(2, message(2)); // late: already written
        assertThat(reads).isEmpty();
        assertThat(out).containsExactly("msg 1", "msg 2", "msg 3", "synced 3");
    }

    @Test
    void aResyncHintReadsTheHeadAndHealsWhatNoPushBrought() {
        DeliveryCursor c = openedAt(0);
        java.util.concurrent.atomic.AtomicInteger healed = new java.util.concurrent.atomic.AtomicInteger();
        append(1, 2); // committed while the bus was down: no push at all
        c.resync(healed::incrementAndGet);
        answerHead();
        answerReads();
        assertThat(out).containsExactly("msg 1", "msg 2");
        assertThat(healed).hasValue(1);
        c.resync(healed::incrementAndGet); // nothing new: no read, not counted
        answerHead();
        assertThat(reads).isEmpty();
        assertThat(healed).hasValue(1);
    }

    @Test
    void aResyncHintBeforeTheWelcomeRunsRightAfterIt() {
        append(1);
        DeliveryCursor c = cursor(100);
        c.open(0);
        java.util.concurrent.atomic.AtomicInteger healed = new java.util.concurrent.atomic.AtomicInteger();
        c.resync(healed::incrementAndGet);
        assertThat(heads).as("only the hello's head read").hasSize(1);
        answerHead(); // head 1; the push of 2 is lost after this read
        append(2);
        answerHead(); // the deferred resync's head read sees 2
        answerReads();
        assertThat(out).containsExactly("welcome 1", "msg 1", "msg 2", "synced 2");
        assertThat(healed).hasValue(1);
    }

    @Test
    void pushesDuringAReplayAreCoveredByIt() {
        append(1, 2, 3);
        DeliveryCursor c = cursor(100);
        c.open(0);
        answerHead();
        append(4);
        c.offer(4, message(4)); // the replay read is still out
        answerReads();
        assertThat(out).containsExactly("welcome 3", "msg 1", "msg 2", "msg 3", "msg 4", "synced 4");
    }

    @Test
    void aReplayGoesInBatchesAndAFullBatchAsksForMore() {
        append(1, 2, 3, 4, 5);
        DeliveryCursor c = cursor(2);
        c.open(0);
        answerHead();
        List<Long> afters = new ArrayList<>();
        while (!reads.isEmpty()) {
            afters.add(answerRead());
        }
        assertThat(afters).containsExactly(0L, 2L, 4L);
        assertThat(out).containsExactly("welcome 5", "msg 1", "msg 2", "msg 3", "msg 4", "msg 5", "synced 5");
    }

    @Test
    void aFullBufferCutsABatchAndTheRestFollowsWhenItDrains() {
        append(1, 2, 3, 4, 5);
        DeliveryCursor c = cursor(100);
        c.open(0);
        answerHead();
        writesUntilFull = 2;
        answerRead();
        assertThat(out).containsExactly("welcome 5", "msg 1", "msg 2");
        assertThat(reads).as("no read while unwritable").isEmpty();
        c.offer(6, message(6));
        assertThat(out).hasSize(3);
        append(6);
        writable = true;
        c.writable();
        answerReads();
        assertThat(out).containsExactly("welcome 5", "msg 1", "msg 2", "msg 3", "msg 4", "msg 5", "msg 6", "synced 6");
        assertThat(c.sent()).isEqualTo(6);
    }

    @Test
    void aCursorBeyondTheHeadIsClampedSoNewMessagesStillArrive() {
        append(1, 2, 3);
        DeliveryCursor c = cursor(100);
        c.open(999);
        answerHead();
        answerReads();
        assertThat(out).containsExactly("welcome 3", "synced 3");
        append(4);
        c.offer(4, message(4));
        assertThat(out).endsWith("msg 4");
    }

    @Test
    void aSyncPipelinedBehindHelloWaitsForTheWelcomeAndReplacesItsReplay() {
        append(1, 2, 3, 4);
        DeliveryCursor c = cursor(100);
        c.open(0);
        c.sync(2); // arrives before the head read answered
        assertThat(heads).hasSize(1);
        answerHead();
        answerHead(); // the sync's own head read, issued after the welcome
        answerReads();
        assertThat(out).containsExactly("welcome 4", "msg 3", "msg 4", "synced 4");
    }

    @Test
    void aSyncRewindsAndAnOlderReadStillInFlightIsDropped() {
        DeliveryCursor c = openedAt(5);
        append(6, 7);
        c.offer(7, message(7)); // a gap: after the grace a read after 5 goes out
        graceOver();
        assertThat(reads).hasSize(1);
        c.sync(3);
        answerRead(); // the older generation's read: ignored
        assertThat(out).isEmpty();
        answerHead();
        answerReads();
        assertThat(out).containsExactly("msg 4", "msg 5", "msg 6", "msg 7", "synced 7");
    }

    @Test
    void aFailedCatchUpReadIsTriedAgainLater() {
        append(1, 2);
        DeliveryCursor c = cursor(100);
        c.open(0);
        answerHead();
        reads.poll().future().completeExceptionally(new IllegalStateException("store down"));
        run();
        assertThat(out).containsExactly("welcome 2", "readFailed");
        assertThat(scheduled).hasSize(1);
        scheduled.remove(0).run();
        answerReads();
        assertThat(out).containsExactly("welcome 2", "readFailed", "msg 1", "msg 2", "synced 2");
    }

    @Test
    void aFailedHeadReadEndsTheSessionWithoutAWelcome() {
        DeliveryCursor c = cursor(100);
        c.open(0);
        heads.poll().completeExceptionally(new IllegalStateException("store down"));
        run();
        assertThat(out).containsExactly("headFailed");
        assertThat(reads).isEmpty();
    }

    @Test
    void aBatchFromTheCacheIsConfirmedByAStoreRead() {
        append(1, 2);
        DeliveryCursor c = cursor(100);
        c.open(0);
        answerHead();
        nextReadCached = true;
        assertThat(answerRead()).isZero();
        assertThat(answerRead()).as("confirming read after the cached run").isEqualTo(2);
        assertThat(reads).isEmpty();
        assertThat(out).containsExactly("welcome 2", "msg 1", "msg 2", "synced 2");
    }

    @Test
    void nothingIsWrittenAfterStop() {
        append(1);
        DeliveryCursor c = cursor(100);
        c.open(0);
        answerHead();
        c.stop();
        answerReads();
        c.offer(2, message(2));
        assertThat(out).containsExactly("welcome 1");
    }

    @Test
    void refusesABatchBelowOne() {
        assertThatThrownBy(() -> cursor(0)).hasMessage("batch (0) must be >= 1");
    }

    /** A machine opened at {@code at} (the head too), caught up and quiet; the output cleared. */
    private DeliveryCursor openedAt(long at) {
        for (long i = 1; i <= at; i++) {
            append(i);
        }
        DeliveryCursor c = cursor(100);
        c.open(at);
        answerHead();
        answerReads();
        assertThat(out).endsWith("synced " + at);
        out.clear();
        return c;
    }
}
