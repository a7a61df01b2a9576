package io.stickyring.lb.proxy;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Admission limits: total open connections, open connections per source IP, and new connections
 * per second per source IP (a token bucket holding up to max(1, rate) tokens).
 *
 * <p>Invariant: every successful {@link #acquire} is matched by exactly one {@link #release}; the
 * per-IP table holds only IPs with open connections or a bucket still refilling, and {@link #sweep}
 * removes the rest, so its size is bounded by active IPs plus IPs seen within one refill period.
 */
public final class ConnectionLimiter {

    /** Outcome of an admission check. */
    public enum Verdict { OK, MAX_CONNECTIONS, PER_IP, ACCEPT_RATE }

    private static final class PerIp {
        int open;
        double tokens;
        long lastNanos;
    }

    private final int maxTotal;
    private final int maxPerIp;
    private final double ratePerIp;
    private final double burst;
    private final LongSupplier nanoClock;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, PerIp> perIp = new ConcurrentHashMap<>();

    public ConnectionLimiter(int maxTotal, int maxPerIp, double ratePerIp, LongSupplier nanoClock) {
        this.maxTotal = maxTotal;
        this.maxPerIp = maxPerIp;
        this.ratePerIp = ratePerIp;
        this.burst = Math.max(1, ratePerIp);
        this.nanoClock = nanoClock;
    }

    public Verdict acquire(InetAddress ip) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return Verdict.MAX_CONNECTIONS;
        }
        if (maxPerIp == 0 && ratePerIp == 0) {
            return Verdict.OK;
        }
        Verdict[] v = {Verdict.OK};
        perIp.compute(ip, (k, p) -> {
            if (p == null) {
                p = new PerIp();
                p.tokens = burst;
                p.lastNanos = nanoClock.getAsLong();
            }
            if (maxPerIp > 0 && p.open >= maxPerIp) {
                v[0] = Verdict.PER_IP;
                return p;
            }
            if (ratePerIp > 0) {
                long now = nanoClock.getAsLong();
                p.tokens = Math.min(burst, p.tokens + (now - p.lastNanos) / 1e9 * ratePerIp);
                p.lastNanos = now;
                if (p.tokens < 1) {
                    v[0] = Verdict.ACCEPT_RATE;
                    return p;
                }
                p.tokens -= 1;
            }
            p.open++;
            return p;
        });
        if (v[0] != Verdict.OK) {
            total.decrementAndGet();
        }
        return v[0];
    }

    public void release(InetAddress ip) {
        total.decrementAndGet();
        if (maxPerIp == 0 && ratePerIp == 0) {
            return;
        }
        perIp.computeIfPresent(ip, (k, p) -> {
            p.open--;
            return p.open == 0 && ratePerIp == 0 ? null : p;
        });
    }

    /** Drops idle IPs whose bucket has refilled; run periodically. */
    public void sweep() {
        long now = nanoClock.getAsLong();
        for (InetAddress ip : perIp.keySet()) {
            // computeIfPresent decides under the map's per-key lock, so it cannot race an acquire.
            perIp.computeIfPresent(ip, (k, p) ->
                    p.open == 0 && p.tokens + (now - p.lastNanos) / 1e9 * ratePerIp >= burst ? null : p);
        }
    }

    public int open() {
        return total.get();
    }

    int trackedIps() {
        return perIp.size();
    }
}
