package io.stickyring.chat.client;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter",
 * 2015): attempt {@code n} (0-based) waits a uniform random time in
 * {@code [0, min(max, base * 2^n)]}. Full jitter spreads a herd of clients that lost the same node
 * over the whole window instead of synchronising their retries. Worked example with base 250 ms,
 * max 10 s: attempt 0 waits 0..250 ms, attempt 3 waits 0..2 s, attempt 6 and later 0..10 s.
 */
public final class Backoff {
    private final long baseMillis;
    private final long maxMillis;
    private final RandomGenerator random;
    private int attempt;

    public Backoff(Duration base, Duration max, RandomGenerator random) {
        if (base.isNegative() || base.isZero()) {
            throw new IllegalArgumentException("backoff base (" + base + ") must be > 0");
        }
        if (max.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff max (" + max + ") must be >= base (" + base + ")");
        }
        this.baseMillis = base.toMillis();
        this.maxMillis = max.toMillis();
        this.random = random;
    }

    /** The window for the current attempt: min(max, base * 2^attempt). */
    public long ceilingMillis() {
        int shift = Math.min(attempt, 30);
        long c = baseMillis << shift;
        return c <= 0 || c > maxMillis ? maxMillis : c;
    }

    /** A delay for the next attempt (full jitter), then moves to the next attempt. */
    public long nextDelayMillis() {
        long d = random.nextLong(ceilingMillis() + 1);
        attempt++;
        return d;
    }

    /** After a node's {@code retry-after-ms=N} hint: N plus up to one base of jitter. */
    public long hintedDelayMillis(long hintMillis) {
        attempt++;
        return hintMillis + random.nextLong(baseMillis + 1);
    }

    /** A successful connect starts the sequence over. */
    public void reset() {
        attempt = 0;
    }

    public int attempt() {
        return attempt;
    }
}
