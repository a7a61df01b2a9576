package io.stickyring.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;

class NettyTransportTest {

    @Test
    void nioIsAlwaysThere() {
        NettyTransport t = NettyTransport.select(TransportKind.NIO);
        assertThat(t.kind()).isEqualTo(TransportKind.NIO);
        assertThat(t.serverChannel()).isEqualTo(NioServerSocketChannel.class);
        assertThat(t.socketChannel()).isEqualTo(NioSocketChannel.class);
        assertThat(t.nativeLinux()).isFalse();
        assertThat(t.name()).isEqualTo("nio");
    }

    @Test
    void epollFallsBackToNioWhereItIsMissing() {
        // cli's own test classpath has no native library: epoll is unavailable here unless a JVM brings it.
        assertThat(NettyTransport.select(TransportKind.EPOLL).kind())
                .isEqualTo(Epoll.isAvailable() ? TransportKind.EPOLL : TransportKind.NIO);
    }

    @Test
    void ioUringIsNeverSilentlyReplaced() {
        if (IoUring.isAvailable()) {
            assertThat(NettyTransport.select(TransportKind.IO_URING).kind()).isEqualTo(TransportKind.IO_URING);
        } else {
            assertThatThrownBy(() -> NettyTransport.select(TransportKind.IO_URING))
                    .hasMessageStartingWith("transport (io_uring) is not available here");
        }
    }

    @Test
    void kindsParseOrNameTheBadValue() {
        assertThat(TransportKind.parse("EPOLL")).isEqualTo(TransportKind.EPOLL);
        assertThat(TransportKind.parse("io-uring")).isEqualTo(TransportKind.IO_URING);
        assertThatThrownBy(() -> TransportKind.parse("kqueue")).hasMessage("transport (kqueue) must be epoll, io_uring or nio");
    }
}
