package io.stickyring.lb.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The member sockets' dead-peer timers are set by the loop's {@link KeepaliveArmer} once the delay has
 * passed, never before it, and never on a connection that left the list (closed) first. Real epoll
 * sockets: the options are read back from the kernel.
 */
@Timeout(30)
class KeepaliveArmerTest extends EpollLoopbackTest {

    private final List<Socket> accepted = new ArrayList<>();

    @AfterEach
    void closeAccepted() throws Exception {
        for (Socket s : accepted) {
            s.close();
        }
    }

    private static MemberKeepalive keepalive(Duration delay) {
        return new MemberKeepalive(delay,
                List.of(ChannelOption.SO_KEEPALIVE, EpollChannelOption.TCP_KEEPINTVL, EpollChannelOption.TCP_KEEPCNT,
                        EpollChannelOption.TCP_USER_TIMEOUT, EpollChannelOption.TCP_KEEPIDLE),
                List.of(true, 7, 4, 17_000, 33));
    }

    /** A connected member-like channel on {@code loop}, wrapped in a ProxyConnection as the LB makes them. */
    private ProxyConnection connection(EventLoop loop) throws Exception {
        MemberConnector c = new MemberConnector(new Bootstrap().channelFactory(new MemberChannelFactory(io.stickyring.cli.NettyTransport.select(io.stickyring.cli.TransportKind.EPOLL))));
        ChannelFuture f = loop.submit(() -> c.connect(loop, new ChannelInboundHandlerAdapter(),
                new InetSocketAddress("127.0.0.1", server.getLocalPort()))).get(10, TimeUnit.SECONDS);
        accepted.add(server.accept());
        assertThat(f.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(f.isSuccess()).isTrue();
        ProxyConnection conn = new ProxyConnection(f.channel());
        conn.backend = f.channel();
        return conn;
    }

    private static boolean armed(Channel ch) {
        return ch.config().getOption(ChannelOption.SO_KEEPALIVE);
    }

    @Test
    void nothingIsSetBeforeTheDelay() throws Exception {
        EventLoop loop = group.next();
        ProxyConnection conn = connection(loop);
        KeepaliveArmer armer = new KeepaliveArmer(loop, keepalive(Duration.ofHours(1)));
        loop.submit(() -> armer.add(conn)).get(10, TimeUnit.SECONDS);
        Channel b = conn.backend;
        assertThat(armed(b)).isFalse();
        assertThat(b.config().getOption(EpollChannelOption.TCP_USER_TIMEOUT)).isZero();
        assertThat(conn.timerList).isSameAs(armer);
        loop.submit(() -> armer.remove(conn)).get(10, TimeUnit.SECONDS);
        assertThat(conn.timerList).isNull();
        b.close().sync();
    }

    @Test
    void theTimersAreSetAfterTheDelayButNotOnAConnectionThatLeftFirst() throws Exception {
        EventLoop loop = group.next();
        ProxyConnection gone = connection(loop);
        ProxyConnection stays = connection(loop);
        KeepaliveArmer armer = new KeepaliveArmer(loop, keepalive(Duration.ofMillis(50)));
        loop.submit(() -> {
            armer.add(gone);
            armer.add(stays);
            armer.remove(gone); // as FrontendHandler.onClosed does for a connection that ended first
        }).get(10, TimeUnit.SECONDS);
        Channel b = stays.backend;
        await().atMost(Duration.ofSeconds(10)).until(() -> armed(b));
        assertThat(b.config().getOption(EpollChannelOption.TCP_KEEPIDLE)).isEqualTo(33);
        assertThat(b.config().getOption(EpollChannelOption.TCP_KEEPINTVL)).isEqualTo(7);
        assertThat(b.config().getOption(EpollChannelOption.TCP_KEEPCNT)).isEqualTo(4);
        assertThat(b.config().getOption(EpollChannelOption.TCP_USER_TIMEOUT)).isEqualTo(17_000);
        assertThat(stays.timerList).isNull();
        // both deadlines had passed in the same run of the armer, so "gone" would have been set then
        assertThat(armed(gone.backend)).isFalse();
        gone.backend.close().sync();
        b.close().sync();
    }

    @Test
    void aClosedMemberChannelIsSkipped() throws Exception {
        EventLoop loop = group.next();
        ProxyConnection conn = connection(loop);
        conn.backend.close().sync();
        KeepaliveArmer armer = new KeepaliveArmer(loop, keepalive(Duration.ZERO));
        loop.submit(() -> armer.add(conn)).get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> loop.submit(() -> conn.timerList == null).get());
    }
}
