package io.stickyring.lb.proxy;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The I/O transport: native epoll on Linux when available (and not disabled), otherwise NIO.
 * Epoll adds SO_REUSEPORT (several accept threads on one port), TCP_USER_TIMEOUT and per-socket
 * keepalive timers.
 */
public record Transport(boolean epoll, IoHandlerFactory ioHandlerFactory,
                        Class<? extends ServerChannel> serverChannel,
                        Class<? extends SocketChannel> socketChannel) {

    public static Transport select(boolean preferNative) {
        if (preferNative && Epoll.isAvailable()) {
            return new Transport(true, EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class);
        }
        return new Transport(false, NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }

    public MultiThreadIoEventLoopGroup newGroup(int threads, String name) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), ioHandlerFactory);
    }

    public String name() {
        return epoll ? "epoll" : "nio";
    }
}
