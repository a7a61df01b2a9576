package io.stickyring.lb.route;

import io.stickyring.lb.config.LbConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * The settings {@link MemberHealth} applies, taken from one {@link LbConfig} (a reload gives the
 * router a new policy; counters and timers already running keep going).
 *
 * @param activeChecks   true when {@code --health-check} is tcp or http: a passively marked member
 *                       then comes back only after {@code rise} passing checks, never on a timer
 * @param rise           passing checks in a row that mark a down member up (>= 1)
 * @param fall           failing checks in a row that mark an up member down (>= 1)
 * @param backoffMin     first down period after a failed connect (> 0)
 * @param backoffMax     longest down period (>= backoffMin)
 * @param slowStart      how long a returning member takes to get all its keys back; zero = off
 * @param drainTimeout   how long a DRAINING member keeps its connections; zero = forever
 */
public record HealthPolicy(boolean activeChecks, int rise, int fall, Duration backoffMin, Duration backoffMax,
                           Duration slowStart, Duration drainTimeout) {

    public HealthPolicy {
        Objects.requireNonNull(backoffMin, "backoffMin");
        Objects.requireNonNull(backoffMax, "backoffMax");
        Objects.requireNonNull(slowStart, "slowStart");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise (" + rise + ") and fall (" + fall + ") must be >= 1");
        }
        if (backoffMin.isNegative() || backoffMin.isZero() || backoffMax.compareTo(backoffMin) < 0) {
            throw new IllegalArgumentException("backoff (" + backoffMin + ".." + backoffMax + ") must be > 0 and min <= max");
        }
    }

    public static HealthPolicy of(LbConfig c, boolean activeChecks) {
        return new HealthPolicy(activeChecks, c.healthRise(), c.healthFall(), c.downBackoffMin(), c.downBackoffMax(),
                c.slowStart(), c.drainTimeout());
    }

    /**
     * Down period after the {@code streak}-th failed connect in a row: backoffMin doubled per extra
     * failure, capped at backoffMax. Example with 1s..30s: 1s, 2s, 4s, 8s, 16s, 30s, 30s ...
     */
    public long backoffNanos(int streak) {
        long min = backoffMin.toNanos();
        int shift = Math.min(30, Math.max(0, streak - 1));
        long grown = min > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : min << shift;
        return Math.min(backoffMax.toNanos(), grown);
    }
}
