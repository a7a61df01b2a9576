package io.stickyring.lb.route;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One member's local health as this LB judges it, as a state machine with no timers and no clock
 * of its own: passive marking with a doubling backoff, active-check rise/fall, slow start and the
 * drain deadline. The caller passes the time ({@code now}, nanoseconds of any monotonic clock) and
 * schedules the timers this class asks for ({@link #recoverAtNanos()}, {@link #drainDeadlineNanos()}).
 *
 * <p>States: UP, or DOWN with a cause (PASSIVE: a failed connect, waiting for the backoff or for
 * {@code rise} passing checks; CHECKS: {@code fall} failed checks; FORCED: set by an operator or a
 * test). Invariants: (1) a stale backoff timer never revives a member: {@link #backoffEnded} only
 * acts for the latest failure's generation; (2) slow start admission is monotone: a key admitted at
 * time t stays admitted at every later time of the same slow start; (3) in maintenance no check
 * result changes the state, so an operator's MAINT raises no DOWN alarm.
 *
 * <p>Threads: {@link #up()} and {@link #admits} are read lock-free on the data path; the
 * connect-failure streak is an atomic bumped on I/O threads; everything else runs serialized by
 * the router's monitor.
 */
public final class MemberHealth {

    /** What a call changed: the router rebuilds the ring on UP and DOWN. */
    public enum Transition { NONE, UP, DOWN }

    private volatile boolean up = true;
    /** {@code now} when slow start began; 0 when not in slow start. */
    private volatile long slowStartBegin;
    private final AtomicInteger connectStreak = new AtomicInteger();
    private int checkSuccesses;
    private int checkFailures;
    private int failureGeneration;
    private long recoverAt;
    private long drainDeadline;
    private boolean maintenance;

    public boolean up() {
        return up;
    }

    /** Failed connects in a row (reset by a successful connect or a passing check that marks it up). */
    public int connectStreak() {
        return connectStreak.get();
    }

    // ------------------------------------------------------------------ passive health

    /** Counts a failed connect (any thread); returns the streak including this failure. */
    public int recordConnectFailure() {
        return connectStreak.incrementAndGet();
    }

    /** A successful connect ends the streak (any thread). */
    public void connectSucceeded() {
        if (connectStreak.get() != 0) {
            connectStreak.set(0);
        }
    }

    /**
     * Applies a recorded connect failure: DOWN for {@link HealthPolicy#backoffNanos} of the current
     * streak. Without active checks {@link #recoverAtNanos()} then says when to call
     * {@link #backoffEnded}; with them the member waits for {@code rise} passing checks.
     *
     * @return the generation to hand to {@link #backoffEnded}
     */
    public int connectFailed(HealthPolicy p, long now) {
        int streak = Math.max(1, connectStreak.get());
        failureGeneration++;
        if (maintenance) {
            return failureGeneration;
        }
        up = false;
        slowStartBegin = 0;
        checkSuccesses = 0;
        recoverAt = p.activeChecks() ? 0 : now + p.backoffNanos(streak);
        return failureGeneration;
    }

    /** When the passive backoff of the last failure ends (0 when none is pending). */
    public long recoverAtNanos() {
        return recoverAt;
    }

    /** The backoff of failure {@code generation} ended: UP unless a later failure superseded it. */
    public Transition backoffEnded(HealthPolicy p, int generation, long now) {
        if (generation != failureGeneration || recoverAt == 0 || up) {
            return Transition.NONE;
        }
        recoverAt = 0;
        return becomeUp(p, now);
    }

    // ------------------------------------------------------------------ active checks

    /** One check result; DOWN after {@code fall} failures in a row, UP after {@code rise} passes. */
    public Transition checkResult(HealthPolicy p, boolean ok, long now) {
        if (maintenance) {
            return Transition.NONE;
        }
        if (ok) {
            checkFailures = 0;
            checkSuccesses++;
            if (!up && checkSuccesses >= p.rise()) {
                connectStreak.set(0);
                return becomeUp(p, now);
            }
        } else {
            checkSuccesses = 0;
            checkFailures++;
            if (up && checkFailures >= p.fall()) {
                up = false;
                slowStartBegin = 0;
                return Transition.DOWN;
            }
        }
        return Transition.NONE;
    }

    // ------------------------------------------------------------------ operator and test actions

    /** Marks the member down now (no timer: it stays down until {@link #forceUp} or passing checks). */
    public Transition forceDown() {
        if (!up) {
            return Transition.NONE;
        }
        up = false;
        slowStartBegin = 0;
        recoverAt = 0;
        return Transition.DOWN;
    }

    public Transition forceUp(HealthPolicy p, long now) {
        return up ? Transition.NONE : becomeUp(p, now);
    }

    /**
     * Enters or leaves maintenance. Entering clears every health judgement (the member counts as up,
     * pending backoffs are dropped) so nothing alarms while an operator works on it; leaving starts
     * slow start, as a returning member would.
     */
    public Transition maintenance(HealthPolicy p, boolean on, long now) {
        if (on == maintenance) {
            return Transition.NONE;
        }
        maintenance = on;
        checkSuccesses = 0;
        checkFailures = 0;
        recoverAt = 0;
        connectStreak.set(0);
        if (on) {
            boolean wasDown = !up;
            up = true;
            slowStartBegin = 0;
            return wasDown ? Transition.UP : Transition.NONE;
        }
        startSlowStart(p, now);
        return Transition.NONE;
    }

    public boolean inMaintenance() {
        return maintenance;
    }

    private Transition becomeUp(HealthPolicy p, long now) {
        up = true;
        checkFailures = 0;
        startSlowStart(p, now);
        return Transition.UP;
    }

    // ------------------------------------------------------------------ slow start

    /** A member that joins a running LB (or comes back) takes its keys back over {@code slowStart}. */
    public void startSlowStart(HealthPolicy p, long now) {
        slowStartBegin = p.slowStart().isZero() ? 0 : (now == 0 ? 1 : now);
    }

    public boolean inSlowStart(long now, long slowStartNanos) {
        long begin = slowStartBegin;
        return begin != 0 && slowStartNanos > 0 && now - begin < slowStartNanos;
    }

    /**
     * Whether this member takes key {@code key} now. During slow start a member admits a growing,
     * stable subset of its keys: key k is admitted once elapsed/period exceeds a uniform fraction
     * derived from k, so an admitted key stays admitted. Example: 4 s into a 10 s slow start, keys
     * whose fraction is below 0.4 (about 40% of them) are admitted.
     */
    public boolean admits(long key, long now, long slowStartNanos) {
        long begin = slowStartBegin;
        if (begin == 0 || slowStartNanos <= 0) {
            return true;
        }
        long elapsed = now - begin;
        if (elapsed >= slowStartNanos) {
            return true;
        }
        return unitFraction(key) < (double) elapsed / slowStartNanos;
    }

    /** MurmurHash3 fmix64 finalizer (Appleby, public domain) mapped to [0,1): decorrelates from ring position. */
    static double unitFraction(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return (k >>> 11) * 0x1.0p-53;
    }

    // ------------------------------------------------------------------ drain

    /**
     * The member's published state became (or stopped being) DRAINING. Returns true when a new drain
     * deadline was set (the caller schedules one timer for it); a drain already running keeps its
     * deadline.
     */
    public boolean draining(HealthPolicy p, boolean draining, long now) {
        if (!draining) {
            drainDeadline = 0;
            return false;
        }
        if (drainDeadline != 0 || p.drainTimeout().isZero()) {
            return false;
        }
        drainDeadline = now + p.drainTimeout().toNanos();
        if (drainDeadline == 0) {
            drainDeadline = 1;
        }
        return true;
    }

    /** When a running drain ends and its connections close; 0 when not draining or without a timeout. */
    public long drainDeadlineNanos() {
        return drainDeadline;
    }
}
