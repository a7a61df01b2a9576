package io.stickyring.lb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.lb.proxy.ConnectionLimiter.Verdict;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConnectionLimiterTest {

    private final AtomicLong clock = new AtomicLong(1);

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void totalLimit() throws Exception {
        ConnectionLimiter l = new ConnectionLimiter(2, 0, 0, clock::get);
        assertThat(l.acquire(ip("127.0.0.1"))).isEqualTo(Verdict.OK);
        assertThat(l.acquire(ip("127.0.0.2"))).isEqualTo(Verdict.OK);
        assertThat(l.acquire(ip("127.0.0.3"))).isEqualTo(Verdict.MAX_CONNECTIONS);
        l.release(ip("127.0.0.1"));
        assertThat(l.acquire(ip("127.0.0.3"))).isEqualTo(Verdict.OK);
        assertThat(l.open()).isEqualTo(2);
    }

    @Test
    void perIpLimitCountsOpenConnectionsOnly() throws Exception {
        ConnectionLimiter l = new ConnectionLimiter(100, 2, 0, clock::get);
        InetAddress a = ip("127.0.0.1");
        assertThat(l.acquire(a)).isEqualTo(Verdict.OK);
        assertThat(l.acquire(a)).isEqualTo(Verdict.OK);
        assertThat(l.acquire(a)).isEqualTo(Verdict.PER_IP);
        assertThat(l.acquire(ip("127.0.0.2"))).isEqualTo(Verdict.OK);
        l.release(a);
        assertThat(l.acquire(a)).isEqualTo(Verdict.OK);
        l.release(a);
        l.release(a);
        assertThat(l.trackedIps()).isEqualTo(1); // an IP with no open connection is forgotten
    }

    @Test
    void acceptRateRefillsOverTimeAndSweepForgetsIdleIps() throws Exception {
        ConnectionLimiter l = new ConnectionLimiter(100, 0, 2, clock::get);
        InetAddress a = ip("127.0.0.1");
        assertThat(l.acquire(a)).isEqualTo(Verdict.OK);
        assertThat(l.acquire(a)).isEqualTo(Verdict.OK);
        assertThat(l.acquire(a)).isEqualTo(Verdict.ACCEPT_RATE);
        clock.addAndGet(500_000_000L); // half a second at 2/s refills one token
        assertThat(l.acquire(a)).isEqualTo(Verdict.OK);
        assertThat(l.acquire(a)).isEqualTo(Verdict.ACCEPT_RATE);
        for (int i = 0; i < 3; i++) {
            l.release(a);
        }
        l.sweep();
        assertThat(l.trackedIps()).isEqualTo(1); // bucket still refilling
        clock.addAndGet(2_000_000_000L);
        l.sweep();
        assertThat(l.trackedIps()).isZero();
    }
}
