package io.stickyring.lb.proxy;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

/**
 * Fixture of the proxy tests on real epoll sockets: one epoll event loop and a plain loopback server
 * socket to connect member channels to (accepts time out after 10 s). Skipped where epoll is unavailable.
 */
abstract class EpollLoopbackTest {

    protected MultiThreadIoEventLoopGroup group;
    protected ServerSocket server;

    @BeforeEach
    void openLoopAndServer() throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), () -> "epoll unavailable: " + Epoll.unavailabilityCause());
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        server.setSoTimeout(10_000);
    }

    @AfterEach
    void closeLoopAndServer() throws Exception {
        if (server != null) {
            server.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
