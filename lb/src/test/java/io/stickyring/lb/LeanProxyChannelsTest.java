package io.stickyring.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.LeanEpollServerSocketChannel;
import io.netty.channel.epoll.LeanEpollSocketChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.lb.support.TestClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * On epoll the LB proxies through {@link LeanEpollSocketChannel}s (Netty's epoll socket channel without
 * its per-socket SO_SNDBUF, TCP_NODELAY and SO_LINGER system calls and address look-ups): the
 * listener's accepted channels and the member channels both, with every option the LB sets in
 * force and the addresses Netty's channels report.
 */
@Timeout(60)
class LeanProxyChannelsTest {

    private final LbHarness h = new LbHarness();

    @AfterEach
    void close() {
        h.close();
    }

    @Test
    void clientAndMemberChannelsAreLeanWithTheLbsOptionsAndAddresses() throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll only");
        h.backend("b1", false);
        LoadBalancer lb = h.start(b -> {
            b.keepaliveIdle = Duration.ofSeconds(61);
            b.proxyEngine = io.stickyring.lb.config.ProxyEngine.CHANNELS; // the channel engine's internals
        });
        try (TestClient c = new TestClient("127.0.0.1", lb.proxyAddress())) {
            assertThat(c.echo("hello")).isEqualTo("hello");
            assertThat(lb.proxy().openConnections()).hasSize(1).allSatisfy(tracked -> {
                io.stickyring.lb.proxy.ProxyConnection conn = (io.stickyring.lb.proxy.ProxyConnection) tracked;
                Channel client = conn.frontendChannel();
                Channel member = conn.backendChannel();
                assertThat(client).isInstanceOf(LeanEpollSocketChannel.class);
                assertThat(member).isInstanceOf(LeanEpollSocketChannel.class);
                assertThat(client.parent()).as("the listener").isInstanceOf(LeanEpollServerSocketChannel.class);

                assertThat(client.localAddress()).as("client's destination: the listener's address").isEqualTo(lb.proxyAddress());
                assertThat(client.remoteAddress()).isEqualTo(c.socket().getLocalSocketAddress());
                assertThat(member.remoteAddress()).isEqualTo(new java.net.InetSocketAddress("127.0.0.1", h.backends.get("b1").port()));

                // accepted: inherited from the listener (set there once), and the child options
                SocketChannelConfig cc = (SocketChannelConfig) client.config();
                assertThat(cc.isTcpNoDelay()).isTrue();
                assertThat(cc.isKeepAlive()).isTrue();
                assertThat(cc.getOption(EpollChannelOption.TCP_KEEPIDLE)).isEqualTo(61);
                assertThat(cc.isAllowHalfClosure()).isTrue();
                assertThat(cc.getWriteBufferHighWaterMark()).isEqualTo(LoadBalancer.WATER_MARK.high());
                assertThat((Object) cc.getRecvByteBufAllocator()).isSameAs(LoadBalancer.RECV_ALLOCATOR);
                assertThat(cc.getSoLinger()).as("SO_LINGER off: not read at close").isEqualTo(-1);

                // member: Netty's TCP_NODELAY, the template's options
                SocketChannelConfig mc = (SocketChannelConfig) member.config();
                assertThat(mc.isTcpNoDelay()).isTrue();
                assertThat(mc.isAllowHalfClosure()).isTrue();
                assertThat(mc.getWriteBufferHighWaterMark()).isEqualTo(LoadBalancer.WATER_MARK.high());
                assertThat(mc.getOption(ChannelOption.CONNECT_TIMEOUT_MILLIS)).isZero();
                assertThat(mc.getSoLinger()).isEqualTo(-1);
            });
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.metrics().active.get() == 0);
    }
}
