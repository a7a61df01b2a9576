package io.stickyring.chat.server;

import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.StoredMessage;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The delivery-cursor machine of one session, free of Netty: which inbox entries to write to one
 * device, and when to read the store instead of trusting the bus. The session handler feeds it
 * (hello, sync, bus pushes, writability) and turns its {@link Output} into frames.
 *
 * <p>Invariant: {@code sent} is the highest inbox cursor written to this device, and every cursor
 * up to it has been written (or was at or below the device's own cursor). A push with cursor
 * {@code sent + 1} is written at once; any other gap (a lost or reordered push, pushes skipped
 * while the device was not reading) is healed by reading the store after {@code sent}, in batches
 * of {@code batch}. So each device gets every message of its inbox exactly once per session, in
 * cursor order, and a lost push costs latency, never data.
 *
 * <p>Reordered pushes are common and cheap to fix: one commit's deliveries are published from
 * different threads (each sender's event loop; a writer's reply thread), so cursor 11 may
 * overtake cursor 10 by a scheduling delay. A push that leaves a gap is therefore held (up to
 * {@link #HOLD_MAX} of them) for {@link #GAP_GRACE_MILLIS}: when the missing pushes arrive
 * meanwhile, the held ones follow them at once and no store read happens; when the gap is still
 * open after the grace, it is healed from the store as any gap. Before, every such reorder cost a
 * store read on the blocking pool (and delayed the in-order push behind that read).
 *
 * <p>This is the node's one place that heals delivery from the store. A bus that may have lost
 * pushes without any later push revealing the gap (NATS down, just back, a subscription just made)
 * does not read the store itself: it sends a resync hint, and {@link #resync} reads the inbox head
 * and heals like any other gap.
 *
 * <p>Resume: {@link #open} and {@link #sync} restart delivery after the device's cursor, clamped to
 * the inbox head (a cursor beyond it, e.g. after a store reset, would hide new messages). Each
 * restart starts a new generation; a store answer of an older generation is dropped. A sync that
 * arrives before the hello's welcome was written is held and runs right after it.
 *
 * <p>Thread confinement: every method runs on one thread (the session's event loop); store
 * completions hop back through {@link Loop#execute}.
 */
final class DeliveryCursor {
    /** Delay before a failed catch-up read is tried again. */
    static final long RETRY_MILLIS = 1000;
    /** How long a push that leaves a gap waits for the missing pushes before the store is read. */
    static final long GAP_GRACE_MILLIS = 25;
    /** Most pushes held while waiting for a gap to close; beyond it the store is read at once. */
    static final int HOLD_MAX = 64;

    /** The thread the machine is confined to: the session's event loop, or a queue in tests. */
    interface Loop {
        void execute(Runnable task);

        void schedule(Runnable task, long delayMillis);
    }

    /** One user's inbox, read asynchronously (never on the loop). */
    interface Inbox {
        CompletableFuture<Long> head();

        CompletableFuture<ChatService.InboxRead> read(long after, int limit);
    }

    /** What the machine writes; the session turns each call into a frame. */
    interface Output {
        /** Whether a write now goes out (the channel is open and below its high watermark). */
        boolean writable();

        /** The hello's answer: the inbox head at session start. */
        void welcome(long head);

        void message(long cursor, StoredMessage m, boolean flush);

        void flush();

        /** Caught up after an open or sync: every entry up to {@code cursor} has been written. */
        void synced(long cursor);

        /** The head could not be read: the session cannot start (or restart). */
        void headFailed(Throwable cause);

        /** A catch-up read failed; the machine tries again after {@link #RETRY_MILLIS}. */
        void readFailed(Throwable cause);

        /** A catch-up batch was read (for metrics). */
        default void batchRead() {
        }
    }

    private final Loop loop;
    private final Inbox inbox;
    private final Output out;
    private final int batch;

    private long sent;
    private long pendingMax;
    private boolean started;
    private boolean welcomed;
    private boolean replaying;
    private boolean forceReplay;
    private boolean reportSynced;
    private boolean stopped;
    private int generation;
    private Long deferredSync;
    private Runnable deferredResync;
    /** Pushes beyond a gap, waiting for the missing ones ({@link #GAP_GRACE_MILLIS}); all above {@code sent}. */
    private final TreeMap<Long, StoredMessage> held = new TreeMap<>();
    /** Bumped whenever {@code held} is emptied: a grace check of an older hold does nothing. */
    private int holdEpoch;
    private boolean graceScheduled;

    DeliveryCursor(Loop loop, Inbox inbox, Output out, int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch (" + batch + ") must be >= 1");
        }
        this.loop = loop;
        this.inbox = inbox;
        this.out = out;
        this.batch = batch;
    }

    /** The hello: answer welcome with the head, then deliver everything after {@code cursor}. */
    void open(long cursor) {
        if (started) {
            throw new IllegalStateException("already opened");
        }
        started = true;
        restart(cursor, true);
    }

    /** A client sync: deliver again everything after {@code cursor}. */
    void sync(long cursor) {
        if (!welcomed) {
            // Pipelined right behind hello: runs once the welcome is out, so it cannot overtake it.
            deferredSync = cursor;
            return;
        }
        restart(cursor, false);
    }

    /** A bus push of inbox entry {@code cursor}. */
    void offer(long cursor, StoredMessage m) {
        if (stopped || cursor <= sent) {
            return;
        }
        if (started && !replaying && out.writable()) {
            if (cursor == sent + 1) {
                sent = cursor;
                if (held.isEmpty()) {
                    out.message(cursor, m, true);
                    return;
                }
                out.message(cursor, m, false);
                releaseHeld();
                out.flush();
                return;
            }
            if (held.size() < HOLD_MAX && pendingMax <= sent) {
                // A gap, most likely a reorder: wait briefly for the missing pushes.
                held.put(cursor, m);
                if (!graceScheduled) {
                    graceScheduled = true;
                    int epoch = holdEpoch;
                    loop.schedule(() -> graceOver(epoch), GAP_GRACE_MILLIS);
                }
                return;
            }
        }
        pendingMax = Math.max(pendingMax, cursor);
        dropHeld();
        pump();
    }

    /** Writes (unflushed) the held pushes that now follow {@code sent} without a gap; drops those at or below it. */
    private void releaseHeld() {
        while (!held.isEmpty() && held.firstKey() <= sent + 1 && out.writable()) {
            Map.Entry<Long, StoredMessage> e = held.pollFirstEntry();
            if (e.getKey() == sent + 1) {
                sent = e.getKey();
                out.message(e.getKey(), e.getValue(), false);
            }
        }
        if (held.isEmpty()) {
            dropHeld();
        } else if (held.firstKey() <= sent + 1) {
            // The channel filled up: the store read continues once it drains.
            pendingMax = Math.max(pendingMax, held.lastKey());
            dropHeld();
        }
    }

    /** The grace of a hold ran out: heal what is still missing from the store. */
    private void graceOver(int epoch) {
        if (epoch != holdEpoch) {
            return;
        }
        graceScheduled = false;
        if (held.isEmpty()) {
            return;
        }
        pendingMax = Math.max(pendingMax, held.lastKey());
        dropHeld();
        pump();
    }

    /** Forgets the held pushes (a store read after {@code sent} covers them) and any pending grace check. */
    private void dropHeld() {
        if (!held.isEmpty() || graceScheduled) {
            held.clear();
            holdEpoch++;
            graceScheduled = false;
        }
    }

    /**
     * The bus may have lost pushes: read the inbox head and deliver what lies between {@code sent}
     * and it, running {@code healed} if there is any. Before the welcome the hint waits for it (the
     * hello's own head read may predate the lost push). A failed head read is dropped: the bus
     * hints again on its next round.
     */
    void resync(Runnable healed) {
        if (stopped) {
            return;
        }
        if (!welcomed) {
            deferredResync = healed;
            return;
        }
        inbox.head().whenComplete((head, err) -> loop.execute(() -> onResyncHead(head, err, healed)));
    }

    private void onResyncHead(Long head, Throwable err, Runnable healed) {
        if (stopped || err != null || head <= sent) {
            return;
        }
        healed.run();
        // Only raises the target: a restart meanwhile set sent and pendingMax from its own head.
        pendingMax = Math.max(pendingMax, head);
        pump();
    }

    /** The channel drained below its low watermark: continue where a full buffer stopped us. */
    void writable() {
        pump();
    }

    /** The session is closing: nothing more is written. */
    void stop() {
        stopped = true;
    }

    /** The highest cursor written. */
    long sent() {
        return sent;
    }

    private void restart(long cursor, boolean welcome) {
        int gen = ++generation;
        replaying = true;
        // The restart's reads cover whatever was held.
        pendingMax = Math.max(pendingMax, held.isEmpty() ? 0 : held.lastKey());
        dropHeld();
        inbox.head().whenComplete((head, err) -> loop.execute(() -> onHead(gen, cursor, welcome, head, err)));
    }

    private void onHead(int gen, long cursor, boolean welcome, Long head, Throwable err) {
        if (gen != generation || stopped) {
            return;
        }
        replaying = false;
        if (err != null) {
            out.headFailed(err);
            return;
        }
        sent = Math.min(cursor, head);
        pendingMax = Math.max(pendingMax, head);
        if (welcome) {
            out.welcome(head);
            welcomed = true;
            if (deferredResync != null) {
                Runnable healed = deferredResync;
                deferredResync = null;
                resync(healed);
            }
            if (deferredSync != null) {
                long c = deferredSync;
                deferredSync = null;
                restart(c, false);
                return;
            }
        }
        forceReplay = true;
        reportSynced = true;
        pump();
    }

    /** Starts a store read if behind and able to write; reports synced once caught up. */
    private void pump() {
        if (!started || stopped || replaying || !out.writable()) {
            return;
        }
        if (forceReplay || pendingMax > sent) {
            forceReplay = false;
            replaying = true;
            // The read covers whatever was held (held pushes exist only while no read is out).
            if (!held.isEmpty()) {
                pendingMax = Math.max(pendingMax, held.lastKey());
            }
            dropHeld();
            int gen = generation;
            inbox.read(sent, batch).whenComplete((read, err) -> loop.execute(() -> onBatch(gen, read, err)));
        } else if (reportSynced) {
            reportSynced = false;
            out.synced(sent);
        }
    }

    private void onBatch(int gen, ChatService.InboxRead read, Throwable err) {
        if (gen != generation || stopped) {
            // A sync restarted delivery meanwhile; its own read supersedes this one.
            return;
        }
        replaying = false;
        if (err != null) {
            out.readFailed(err);
            forceReplay = true;
            loop.schedule(this::pump, RETRY_MILLIS);
            return;
        }
        out.batchRead();
        List<InboxEntry> entries = read.entries();
        boolean cut = false;
        for (InboxEntry e : entries) {
            if (!out.writable()) {
                // Above the high watermark: stop here (sent stays contiguous); the rest is read again once drained.
                cut = true;
                break;
            }
            if (e.cursor() > sent) {
                sent = e.cursor();
                out.message(e.cursor(), e.message(), false);
            }
        }
        out.flush();
        // A full batch may have more behind it; a batch from the cache is confirmed by a store read.
        if (cut || entries.size() == batch || read.cached()) {
            forceReplay = true;
        }
        pump();
    }
}
