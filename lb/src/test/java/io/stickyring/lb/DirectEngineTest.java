package io.stickyring.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.channel.epoll.Epoll;
import io.stickyring.cli.TransportKind;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.config.ProxyEngine;
import io.stickyring.lb.config.ProxyProtocolMode;
import io.stickyring.lb.proxy.ProxyConnection;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.lb.support.TestClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code --proxy-engine direct}: the connections are relayed without Netty channels, with the same
 * routing, counts, half-close and PROXY header as the channel engine, and the options it does not
 * carry are refused at start-up with one line naming them. (The lb suite's harness-based tests also
 * run on this engine: the {@code direct-engine} surefire execution in lb/pom.xml.)
 */
@Timeout(60)
class DirectEngineTest {

    private final LbHarness h = new LbHarness();

    @BeforeEach
    void epollOnly() {
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll only");
    }

    @AfterEach
    void close() {
        h.close();
    }

    private LoadBalancer start(Consumer<LbConfig.Builder> more) throws Exception {
        return h.start(b -> {
            b.proxyEngine = ProxyEngine.DIRECT;
            b.acceptThreads = 0;
            more.accept(b);
        });
    }

    @Test
    void relaysWithoutChannelsAndCountsBytesBothWays() throws Exception {
        h.backend("b1", false);
        LoadBalancer lb = start(b -> { });
        try (TestClient c = new TestClient("127.0.0.1", lb.proxyAddress())) {
            assertThat(c.echo("hello")).isEqualTo("hello");
            assertThat(lb.proxy().openConnections()).hasSize(1).allSatisfy(conn -> {
                assertThat(conn).isNotInstanceOf(ProxyConnection.class);
                assertThat(conn.getClass().getName()).contains("DirectProxy");
                assertThat(conn.memberId()).isEqualTo("b1");
                assertThat(conn.client()).isEqualTo(c.socket().getLocalSocketAddress());
                assertThat(conn.bytesToMember()).isPositive();
                assertThat(conn.bytesFromMember()).isPositive();
            });
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.metrics().active.get() == 0);
        assertThat(lb.proxy().openConnections()).isEmpty();
        assertThat(lb.metrics().accepted.get()).isEqualTo(1);
    }

    @Test
    void aLargeTransferArrivesWholeThroughASlowReader() throws Exception {
        h.backend("b1", false);
        LoadBalancer lb = start(b -> { });
        byte[] payload = new byte[8 << 20];
        new java.util.Random(7).nextBytes(payload);
        try (Socket s = new Socket()) {
            s.connect(lb.proxyAddress(), 5000);
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            Thread writer = new Thread(() -> {
                try {
                    out.write(payload);
                    s.shutdownOutput(); // the FIN goes through after the bytes; the echo member then closes
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            writer.start();
            assertThat(io.stickyring.lb.support.EchoBackend.readLine(in)).isEqualTo("b1"); // the member speaks first
            byte[] got = in.readAllBytes(); // ends at the member's FIN, forwarded after its bytes
            writer.join(20_000);
            assertThat(got).hasSize(payload.length).isEqualTo(payload);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.metrics().active.get() == 0);
    }

    @Test
    void sendsTheProxyHeaderFirst() throws Exception {
        h.backend("b1", true);
        LoadBalancer lb = start(b -> b.proxyProtocol = ProxyProtocolMode.V2);
        try (TestClient c = new TestClient("127.3.4.5", lb.proxyAddress())) {
            assertThat(c.firstLine()).isEqualTo("b1 V2 127.3.4.5:" + c.socket().getLocalPort() + " 127.0.0.1:" + lb.proxyAddress().getPort());
            assertThat(c.echo("hi")).isEqualTo("hi");
        }
        LoadBalancer v1 = start(b -> b.proxyProtocol = ProxyProtocolMode.V1);
        try (TestClient c = new TestClient("127.6.7.8", v1.proxyAddress())) {
            assertThat(c.firstLine()).isEqualTo("b1 V1 127.6.7.8:" + c.socket().getLocalPort() + " 127.0.0.1:" + v1.proxyAddress().getPort());
        }
    }

    @Test
    void bothSocketsCarryTheLbsOptions() throws Exception {
        h.backend("b1", false);
        LoadBalancer lb = start(b -> {
            b.keepaliveIdle = Duration.ofSeconds(61);
            b.keepaliveInterval = Duration.ofSeconds(7);
            b.keepaliveCount = 4;
            b.tcpUserTimeout = Duration.ofSeconds(9);
        });
        try (TestClient c = new TestClient("127.0.0.1", lb.proxyAddress())) {
            assertThat(c.echo("x")).isEqualTo("x");
            int[] fds = io.stickyring.lb.proxy.DirectProxy.descriptors(lb.proxy().openConnections().iterator().next());
            // the LB's own descriptors, read in place (these Socket objects are views: never closed here)
            io.netty.channel.unix.Socket client = new io.netty.channel.unix.Socket(fds[0]);
            io.netty.channel.unix.Socket member = new io.netty.channel.unix.Socket(fds[1]);
            // accepted: inherited from the listening socket
            assertThat(client.isTcpNoDelay()).isTrue();
            assertThat(client.isKeepAlive()).isTrue();
            assertThat(client.getIntOpt(6, 4)).as("TCP_KEEPIDLE").isEqualTo(61);
            assertThat(client.getIntOpt(6, 5)).as("TCP_KEEPINTVL").isEqualTo(7);
            assertThat(client.getIntOpt(6, 6)).as("TCP_KEEPCNT").isEqualTo(4);
            assertThat(client.getIntOpt(6, 18)).as("TCP_USER_TIMEOUT").isEqualTo(9000);
            assertThat(client.remoteAddress()).isEqualTo(c.socket().getLocalSocketAddress());
            // member: TCP_NODELAY at once, the dead-peer timers once the connection is 1 s old
            assertThat(member.isTcpNoDelay()).isTrue();
            assertThat(member.remoteAddress()).isEqualTo(new java.net.InetSocketAddress("127.0.0.1", h.backends.get("b1").port()));
            await().atMost(Duration.ofSeconds(10)).until(member::isKeepAlive);
            assertThat(member.getIntOpt(6, 4)).as("TCP_KEEPIDLE").isEqualTo(61);
            assertThat(member.getIntOpt(6, 5)).as("TCP_KEEPINTVL").isEqualTo(7);
            assertThat(member.getIntOpt(6, 6)).as("TCP_KEEPCNT").isEqualTo(4);
            assertThat(member.getIntOpt(6, 18)).as("TCP_USER_TIMEOUT").isEqualTo(9000);
        }
    }

    /** The engine calls Netty's private natives: a Netty upgrade that renames one must fail here, not in production. */
    @Test
    void nettysNativesItCallsAreThere() {
        assertThat(io.stickyring.lb.proxy.DirectProxy.unavailabilityCause()).isNull();
    }

    /** The default, auto: direct where it carries the configuration, else channels (and the LB says why). */
    @Test
    void autoPicksDirectUnlessTheConfigurationNeedsChannels() throws Exception {
        assertThat(LbConfig.builder().proxyEngine).as("default").isEqualTo(ProxyEngine.AUTO);
        h.backend("b1", false);
        LoadBalancer auto = h.start(b -> b.proxyEngine = ProxyEngine.AUTO);
        assertThat(auto.proxyEngine()).isEqualTo(ProxyEngine.DIRECT);
        try (TestClient c = new TestClient("127.0.0.1", auto.proxyAddress())) {
            assertThat(c.echo("a")).isEqualTo("a");
            assertThat(auto.proxy().openConnections()).singleElement().isNotInstanceOf(ProxyConnection.class);
        }
        LoadBalancer handOff = h.start(b -> {
            b.proxyEngine = ProxyEngine.AUTO;
            b.acceptThreads = 2;
        });
        assertThat(handOff.proxyEngine()).isEqualTo(ProxyEngine.CHANNELS);
        try (TestClient c = new TestClient("127.0.0.1", handOff.proxyAddress())) {
            assertThat(c.echo("b")).isEqualTo("b");
            assertThat(handOff.proxy().openConnections()).singleElement().isInstanceOf(ProxyConnection.class);
        }
        String[] why = new String[1];
        LbConfig.Builder nio = LbHarness.config(java.util.List.of(new io.stickyring.membership.Member("b1", "127.0.0.1", 1, 1,
                io.stickyring.membership.MemberState.ACTIVE, "", 0L, "")));
        nio.proxyEngine = ProxyEngine.AUTO;
        nio.transport = TransportKind.NIO;
        assertThat(LoadBalancer.resolveEngine(nio.build(), io.stickyring.cli.NettyTransport.select(TransportKind.NIO), why))
                .isEqualTo(ProxyEngine.CHANNELS);
        assertThat(why[0]).isEqualTo("auto, as the direct engine does not support the nio transport");
    }

    /** A port in use: the same one-line start-up error as the channel engine's, naming the flag and the address. */
    @Test
    void aListenPortInUseIsNamed() throws Exception {
        h.backend("b1", false);
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            assertThatThrownBy(() -> start(b -> b.listen = new io.stickyring.cli.HostPort("127.0.0.1", taken.getLocalPort())))
                    .hasMessageContaining("--listen (127.0.0.1:" + taken.getLocalPort() + ")")
                    .hasMessageContaining("Address already in use");
        }
    }

    @Test
    void refusesWhatItDoesNotCarryNamingIt() {
        record Case(Consumer<LbConfig.Builder> set, String named) { }
        for (Case k : java.util.List.of(
                new Case(b -> b.transport = TransportKind.NIO, "--transport nio"),
                new Case(b -> b.acceptThreads = 2, "--accept-threads 2"),
                new Case(b -> b.acceptProxyProtocol = true, "--accept-proxy-protocol"))) {
            LbConfig.Builder b = LbHarness.config(java.util.List.of(new io.stickyring.membership.Member("b1", "127.0.0.1", 1, 1, io.stickyring.membership.MemberState.ACTIVE, "", 0L, "")));
            b.proxyEngine = ProxyEngine.DIRECT;
            b.acceptThreads = 0;
            k.set().accept(b);
            assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("proxy-engine direct does not support " + k.named() + " (yet); use --proxy-engine channels for it");
        }
        assertThatThrownBy(() -> ProxyEngine.parse("fast")).hasMessage("proxy-engine 'fast' is not one of auto, channels, direct");
    }
}
