package io.stickyring.chat.client;

import io.stickyring.cli.NettyTransport;
import io.stickyring.cli.TransportKind;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Threads and connections shared by many {@link ChatClient}s (one per process is plenty; the load
 * generator runs 1,000 clients on one). Each client is pinned to one event loop of {@code group},
 * which runs its WebSocket and all its state changes, so a client's state is single-threaded.
 */
public final class ClientRuntime implements AutoCloseable {
    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelClass;
    private final ExecutorService httpExecutor;
    private final HttpClient http;
    private final TransportStats stats = new TransportStats();

    private ClientRuntime(int threads) {
        NettyTransport transport = NettyTransport.select(TransportKind.EPOLL); // epoll where available, else NIO
        this.group = new MultiThreadIoEventLoopGroup(threads, transport.ioHandlerFactory());
        this.channelClass = transport.socketChannel();
        this.httpExecutor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "chat-client-http");
            t.setDaemon(true);
            return t;
        });
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).executor(httpExecutor).build();
    }

    /** A runtime with {@code threads} event loops (0 = Netty's default, 2 x cores). */
    public static ClientRuntime create(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("threads (" + threads + ") must be >= 0");
        }
        return new ClientRuntime(threads);
    }

    EventLoopGroup group() {
        return group;
    }

    Class<? extends SocketChannel> channelClass() {
        return channelClass;
    }

    HttpClient http() {
        return http;
    }

    /** Wire costs of every client on this runtime (connections, requests, bytes). */
    public TransportStats stats() {
        return stats;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        httpExecutor.shutdownNow();
    }
}
