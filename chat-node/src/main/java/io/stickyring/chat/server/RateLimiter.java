package io.stickyring.chat.server;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Per-user token buckets shared by all of a user's sessions on this node: {@code burst} tokens,
 * refilled at {@code ratePerSecond}. A refused request costs nothing and keeps the connection.
 * Idle buckets (full) are evicted by {@link #evictIdle()} so memory stays bounded by active users.
 * One instance per kind of limit: requests ({@code --rate}) and group creation ({@code --groups-per-minute}).
 *
 * <p>Why not a library: Bucket4j is not among the packages this build may depend on, and
 * resilience4j's {@code RateLimiter} is one limiter per instance (a refresh cycle, blocking
 * permission waits) with no keyed, evicting buckets; keying it per user would rebuild this class
 * around it. This one is 70 lines with an injected clock.
 */
public final class RateLimiter {
    private final double ratePerNano;
    private final double burst;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    private static final class Bucket {
        double tokens;
        long last;

        Bucket(double tokens, long last) {
            this.tokens = tokens;
            this.last = last;
        }
    }

    public RateLimiter(double ratePerSecond, int burst, LongSupplier nanoClock) {
        this.ratePerNano = ratePerSecond / TimeUnit.SECONDS.toNanos(1);
        this.burst = burst;
        this.nanoClock = nanoClock;
    }

    /** Takes one token for {@code user}; false when the bucket is empty. */
    public boolean tryAcquire(String user) {
        long now = nanoClock.getAsLong();
        Bucket b = buckets.computeIfAbsent(user, u -> new Bucket(burst, now));
        synchronized (b) {
            b.tokens = Math.min(burst, b.tokens + (now - b.last) * ratePerNano);
            b.last = now;
            if (b.tokens >= 1) {
                b.tokens -= 1;
                return true;
            }
            return false;
        }
    }

    /** Milliseconds until {@code user} has a token again (0 if it has one now). */
    public long retryAfterMillis(String user) {
        Bucket b = buckets.get(user);
        if (b == null) {
            return 0;
        }
        synchronized (b) {
            double missing = 1 - b.tokens;
            return missing <= 0 ? 0 : (long) Math.ceil(missing / ratePerNano / 1_000_000);
        }
    }

    /** Drops buckets that have refilled completely (they behave exactly like a fresh bucket). */
    public void evictIdle() {
        long now = nanoClock.getAsLong();
        buckets.entrySet().removeIf(e -> {
            Bucket b = e.getValue();
            synchronized (b) {
                return b.tokens + (now - b.last) * ratePerNano >= burst;
            }
        });
    }

    int size() {
        return buckets.size();
    }
}
