package io.stickyring.lb;

import static io.stickyring.lb.support.TestClient.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.stickyring.cli.TransportKind;
import io.stickyring.lb.proxy.ProxyConnection;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.lb.support.TestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The transports: on native transports every I/O loop accepts on its own SO_REUSEPORT socket and keeps
 * the connections it accepted (no hand-off), and the proxy works the same on io_uring as on epoll.
 */
@Timeout(60)
class TransportTest {

    private final LbHarness h = new LbHarness();

    @AfterEach
    void close() {
        h.close();
    }

    @Test
    void eachIoLoopAcceptsOnItsOwnSocketAndKeepsItsConnections() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(LbHarness.directEngine(), "channel engine only");
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll only: " + Epoll.unavailabilityCause());
        h.backend("b1", false);
        LoadBalancer lb = h.start(b -> {
            b.ioThreads = 2;
            b.acceptThreads = 0;
        });
        assertEachLoopAcceptsItsOwn(lb);
    }

    /** The default (no --accept-threads): the I/O loops accept, as above (with accept threads the listener's loop is another). */
    @Test
    void byDefaultTheIoLoopsAccept() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(LbHarness.directEngine(), "channel engine only");
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll only: " + Epoll.unavailabilityCause());
        h.backend("b1", false);
        int defaultAcceptThreads = io.stickyring.lb.config.LbConfig.builder().acceptThreads;
        LoadBalancer lb = h.start(b -> {
            b.ioThreads = 2;
            b.acceptThreads = defaultAcceptThreads; // the harness pins 2; take the builder's default
        });
        assertEachLoopAcceptsItsOwn(lb);
    }

    private static void assertEachLoopAcceptsItsOwn(LoadBalancer lb) throws Exception {
        List<TestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                TestClient c = new TestClient(ip(i), lb.proxyAddress());
                clients.add(c);
                assertThat(c.member()).isEqualTo("b1");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> lb.proxy().openConnections().size() == 40);
            Set<Channel> listeners = new HashSet<>();
            for (io.stickyring.lb.route.TrackedConnection tracked : lb.proxy().openConnections()) {
                ProxyConnection conn = (ProxyConnection) tracked;
                Channel f = conn.frontendChannel();
                assertThat(f.parent().eventLoop()).as("listener loop of %s", f).isSameAs(f.eventLoop());
                assertThat(conn.backendChannel().eventLoop()).isSameAs(f.eventLoop());
                listeners.add(f.parent());
            }
            // 40 connections over 2 sockets by the kernel's 4-tuple hash: both take some (all on one: 2^-39)
            assertThat(listeners).hasSize(2);
        } finally {
            for (TestClient c : clients) {
                c.close();
            }
        }
    }

    @Test
    void transportNamesAreParsedAndABadOneIsNamed() {
        assertThat(TransportKind.parse("io_uring")).isEqualTo(TransportKind.IO_URING);
        assertThat(TransportKind.parse("EPOLL")).isEqualTo(TransportKind.EPOLL);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TransportKind.parse("kqueue"))
                .hasMessage("transport (kqueue) must be epoll, io_uring or nio");
    }

    @Test
    void proxyWorksOnIoUring() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(LbHarness.directEngine(), "channel engine only");
        Assumptions.assumeTrue(IoUring.isAvailable(), () -> "io_uring refused by this kernel: " + IoUring.unavailabilityCause());
        for (int i = 1; i <= 3; i++) {
            h.backend("b" + i, false);
        }
        LoadBalancer lb = h.start(b -> {
            b.transport = TransportKind.IO_URING;
            b.keepaliveIdle = Duration.ofSeconds(33);
            b.tcpUserTimeout = Duration.ofSeconds(17);
        });
        assertThat(lb.transportName()).isEqualTo("io_uring");
        Map<String, String> owner = new HashMap<>();
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 60; i++) {
                try (TestClient c = new TestClient(ip(i), lb.proxyAddress())) {
                    String m = c.member();
                    assertThat(m).isNotNull();
                    String prev = owner.putIfAbsent(ip(i), m);
                    assertThat(m).as("ip %s sticks", ip(i)).isEqualTo(prev == null ? m : prev);
                    assertThat(c.echo("hello " + i)).isEqualTo("hello " + i);
                }
            }
        }
        assertThat(new HashSet<>(owner.values())).hasSize(3);
        try (TestClient c = new TestClient("127.0.0.1", lb.proxyAddress())) {
            c.member();
            await().atMost(Duration.ofSeconds(5)).until(() -> lb.proxy().openConnections().size() == 1);
            ProxyConnection conn = (ProxyConnection) lb.proxy().openConnections().iterator().next();
            // the member socket's timers are set by the loop's KeepaliveArmer, at most 1 s after the connect
            await().atMost(Duration.ofSeconds(10)).until(() -> conn.backendChannel().config().getOption(ChannelOption.SO_KEEPALIVE));
            for (Channel ch : List.of(conn.frontendChannel(), conn.backendChannel())) {
                assertThat(ch.config().getOption(IoUringChannelOption.TCP_KEEPIDLE)).isEqualTo(33);
                assertThat(ch.config().getOption(IoUringChannelOption.TCP_USER_TIMEOUT)).isEqualTo(17_000);
                assertThat(ch.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.metrics().active.get() == 0);
        assertThat(LbHarness.metric(new String(lb.metrics().scrape()), "stickyring_lb_connections_accepted_total"))
                .isEqualTo(121.0);
    }
}
