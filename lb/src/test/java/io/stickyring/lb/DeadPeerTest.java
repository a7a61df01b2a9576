package io.stickyring.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.lb.support.LbHarness;
import io.stickyring.lb.support.NetnsMember;
import io.stickyring.lb.support.TestClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A member that vanishes without a FIN or a reset (everything it sends is dropped by a blackhole
 * route inside its own network namespace) is detected by the kernel timers the LB sets on member sockets: keepalive for an idle
 * connection, TCP_USER_TIMEOUT for one with unacknowledged data. Without those options neither
 * connection would ever close. Skipped (with the reason) without root, ip, python3 or network namespaces.
 */
@Timeout(90)
class DeadPeerTest {

    private final LbHarness h = new LbHarness();

    /** The client sees the close within {@code bound} but not before {@code notBefore} (so a timer did it). */
    private void expectClosedWithin(LoadBalancer lb, TestClient c, Duration notBefore, Duration bound) {
        long t0 = System.nanoTime();
        await().atMost(bound).until(c::closedByPeer);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("dead member detected after " + ms + " ms");
        assertThat(ms).as("detected after %d ms", ms).isGreaterThanOrEqualTo(notBefore.toMillis());
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.metrics().active.get() == 0);
        assertThat(LbHarness.metric(new String(lb.metrics().scrape()), "stickyring_lb_connections_closed_total{reason=\"member\"}"))
                .isEqualTo(1.0);
    }

    @Test
    void keepaliveDetectsAnIdleConnectionToADeadMember() throws Exception {
        try (NetnsMember dead = new NetnsMember(); h) {
            LoadBalancer lb = h.start(b -> {
                b.backends = List.of(dead.member());
                b.keepaliveIdle = Duration.ofSeconds(1);
                b.keepaliveInterval = Duration.ofSeconds(1);
                b.keepaliveCount = 2;
                b.tcpUserTimeout = Duration.ZERO; // kernel default: only keepalive can notice
            });
            try (TestClient c = new TestClient("127.0.0.1", lb.proxyAddress())) {
                assertThat(c.member()).isEqualTo("dead-peer");
                assertThat(c.echo("alive?")).isEqualTo("alive?");
                dead.blackhole();
                // idle 1 s + 2 unanswered probes 1 s apart: about 3 s; the socket read timeout is 5 s per try
                expectClosedWithin(lb, c, Duration.ofMillis(1500), Duration.ofSeconds(20));
            }
        }
    }

    @Test
    void tcpUserTimeoutDetectsUnacknowledgedDataToADeadMember() throws Exception {
        try (NetnsMember dead = new NetnsMember(); h) {
            LoadBalancer lb = h.start(b -> {
                b.backends = List.of(dead.member());
                b.tcpUserTimeout = Duration.ofSeconds(2);
                b.keepaliveIdle = Duration.ofSeconds(3600); // keepalive cannot be what notices
            });
            try (TestClient c = new TestClient("127.0.0.1", lb.proxyAddress())) {
                assertThat(c.echo("alive?")).isEqualTo("alive?");
                dead.blackhole();
                c.out().write("into the void\n".getBytes());
                c.out().flush();
                // the LB's bytes to the member stay unacknowledged: ETIMEDOUT after 2 s (retransmission rounding)
                expectClosedWithin(lb, c, Duration.ofMillis(1500), Duration.ofSeconds(20));
            }
        }
    }

    @Test
    void aMemberConnectThatNeverCompletesEndsAtTheConnectTimeout() throws Exception {
        try (NetnsMember dead = new NetnsMember(); h) {
            dead.blackhole(); // its SYN-ACKs are dropped: the LB's connect stays in flight
            LoadBalancer lb = h.start(b -> {
                b.backends = List.of(dead.member());
                b.connectTimeout = Duration.ofMillis(700);
                b.connectTries = 1;
            });
            long t0 = System.nanoTime();
            try (TestClient c = new TestClient("127.0.0.1", lb.proxyAddress())) { // reads until EOF (5 s bound)
                long ms = (System.nanoTime() - t0) / 1_000_000;
                System.out.println("connect given up after " + ms + " ms");
                assertThat(c.member()).as("closed without a member").isNull();
                // the kernel's own SYN retries would keep the connect in flight for minutes
                assertThat(ms).as("closed after %d ms", ms).isBetween(600L, 4000L);
            }
            String text = new String(lb.metrics().scrape());
            assertThat(LbHarness.metric(text, "stickyring_lb_connections_rejected_total{reason=\"connect_failed\"}")).isEqualTo(1.0);
            assertThat(LbHarness.metric(text, "stickyring_lb_member_connect_failures_total{member=\"dead-peer\"}")).isEqualTo(1.0);
        }
    }
}
