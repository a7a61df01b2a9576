package io.stickyring.lb;

import static io.stickyring.lb.support.TestClient.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The transports and accept models: on native transports every I/O loop accepts on its own SO_REUSEPORT
 * socket and keeps the connections it accepted (no hand-off; the default), with --accept-threads N the
 * accept threads hand them to the I/O loops, either model proxies the same, and the proxy works the
 * same on io_uring as on epoll.
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
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll only: " + Epoll.unavailabilityCause());
        h.backend("b1", false);
        LoadBalancer lb = h.start(b -> {
            b.proxyEngine = io.stickyring.lb.config.ProxyEngine.CHANNELS; // reads the channels' event loops
            b.ioThreads = 2;
            b.acceptThreads = 0;
        });
        assertAccepted(lb, false);
    }

    /**
     * The default (no --accept-threads): the I/O loops accept, as above. LbHarness leaves the flag at
     * its default, so this is also the accept model the other LB tests run on.
     */
    @Test
    void byDefaultTheIoLoopsAccept() throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll only: " + Epoll.unavailabilityCause());
        h.backend("b1", false);
        assertThat(LbHarness.config(List.of()).acceptThreads).as("the harness's --accept-threads")
                .isEqualTo(io.stickyring.lb.config.LbConfig.builder().acceptThreads).isZero();
        LoadBalancer lb = h.start(b -> b.proxyEngine = io.stickyring.lb.config.ProxyEngine.CHANNELS); // the default accept model, seen through the channels
        assertAccepted(lb, false);
    }

    /** --accept-threads 2: two SO_REUSEPORT sockets, each on its own accept thread, which hands connections to the I/O loops. */
    @Test
    void acceptThreadsHandEachConnectionToAnIoLoop() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(LbHarness.directEngine(), "channel engine only");
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll only: " + Epoll.unavailabilityCause());
        h.backend("b1", false);
        LoadBalancer lb = h.start(b -> {
            b.ioThreads = 2;
            b.acceptThreads = 2;
        });
        assertAccepted(lb, true);
    }

    /**
     * Opens 40 connections from distinct client IPs and checks where each was accepted: on one of two
     * listening sockets, by the I/O loop that keeps it ({@code acceptThreads} false) or by an accept
     * thread that handed it to an I/O loop; either way both sides of a connection are on one I/O loop.
     */
    private static void assertAccepted(LoadBalancer lb, boolean acceptThreads) throws Exception {
        List<TestClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                TestClient c = new TestClient(ip(i), lb.proxyAddress());
                clients.add(c);
                assertThat(c.member()).isEqualTo("b1");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> lb.proxy().openConnections().size() == 40);
            Set<Channel> listeners = new HashSet<>();
            Set<EventLoop> ioLoops = new HashSet<>();
            for (io.stickyring.lb.route.TrackedConnection tracked : lb.proxy().openConnections()) {
                ProxyConnection conn = (ProxyConnection) tracked;
                Channel f = conn.frontendChannel();
                EventLoop listenerLoop = f.parent().eventLoop();
                assertThat(threadName(listenerLoop)).as("listener thread of %s", f)
                        .startsWith(acceptThreads ? "lb-accept-" : "lb-io-");
                assertThat(threadName(f.eventLoop())).startsWith("lb-io-");
                if (acceptThreads) {
                    assertThat(listenerLoop).as("listener loop of %s", f).isNotSameAs(f.eventLoop());
                } else {
                    assertThat(listenerLoop).as("listener loop of %s", f).isSameAs(f.eventLoop());
                }
                assertThat(conn.backendChannel().eventLoop()).isSameAs(f.eventLoop());
                listeners.add(f.parent());
                ioLoops.add(f.eventLoop());
            }
            // 40 connections over 2 sockets by the kernel's 4-tuple hash: both take some (all on one: 2^-39);
            // accept threads hand off round-robin, the I/O loops each keep their own socket's: both loops serve
            assertThat(listeners).hasSize(2);
            assertThat(ioLoops).hasSize(2);
        } finally {
            for (TestClient c : clients) {
                c.close();
            }
        }
    }

    private static String threadName(EventLoop loop) throws Exception {
        return loop.submit(() -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS);
    }

    /**
     * Either accept model proxies the same: every client IP sticks to one member, the echo comes back,
     * and the per-member byte counters and accept count match what went through.
     */
    @ParameterizedTest(name = "--accept-threads {0}")
    @ValueSource(ints = {0, 2})
    void eitherAcceptModelProxiesStickilyAndCountsEveryByte(int acceptThreads) throws Exception {
        // the direct engine accepts on its loops only (the 0 case runs on it)
        org.junit.jupiter.api.Assumptions.assumeTrue(acceptThreads == 0 || !LbHarness.directEngine(), "channel engine only");
        for (int i = 1; i <= 3; i++) {
            h.backend("b" + i, false);
        }
        LoadBalancer lb = h.start(b -> b.acceptThreads = acceptThreads);
        Map<String, String> owner = new HashMap<>();
        Map<String, Long> toMember = new HashMap<>();
        Map<String, Long> fromMember = new HashMap<>();
        Map<String, Integer> connections = new HashMap<>();
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 60; i++) {
                try (TestClient c = new TestClient(ip(i), lb.proxyAddress())) {
                    String m = c.member();
                    assertThat(m).isNotNull();
                    String prev = owner.putIfAbsent(ip(i), m);
                    assertThat(m).as("ip %s sticks", ip(i)).isEqualTo(prev == null ? m : prev);
                    String line = "hello " + i + " in round " + round;
                    assertThat(c.echo(line)).isEqualTo(line);
                    toMember.merge(m, line.length() + 1L, Long::sum);
                    fromMember.merge(m, m.length() + 1L + line.length() + 1L, Long::sum); // id line, then the echo
                    connections.merge(m, 1, Integer::sum);
                }
            }
        }
        assertThat(new HashSet<>(owner.values())).hasSize(3);
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.metrics().active.get() == 0);
        for (String m : owner.values()) {
            assertThat(lb.router().member(m).bytesToMember.get()).as("bytes to %s", m).isEqualTo((double) toMember.get(m));
            assertThat(lb.router().member(m).bytesFromMember.get()).as("bytes from %s", m).isEqualTo((double) fromMember.get(m));
            assertThat(h.backends.get(m).accepted()).as("connections to %s", m).isEqualTo(connections.get(m));
        }
        assertThat(LbHarness.metric(new String(lb.metrics().scrape()), "stickyring_lb_connections_accepted_total"))
                .isEqualTo(120.0);
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
