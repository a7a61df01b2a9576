package io.stickyring.lb.support;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;

/** A member as a separate process: {@code EchoMain ID} prints "PORT n" once listening, then echoes until killed. */
public final class EchoMain {

    private EchoMain() {
    }

    public static void main(String[] args) throws Exception {
        EchoBackend b = new EchoBackend(args[0], new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()), false);
        System.out.println("PORT " + b.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}
