package io.stickyring.lb.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Cost of setting up one member channel on its event loop (socket, pipeline, the LB's member options,
 * registration, close), as the proxy did it before ({@code bootstrapClone}: Bootstrap.clone(loop).handler(h)
 * .register()) and does now ({@code connector}: {@link MemberConnector#newChannel} and loop.register).
 * No connect: the connect's system calls are the same either way. Each operation runs on the loop, as
 * in the proxy; both variants pay the same submit-and-wait hand-off. Run with bench/lb/jmh-member.sh.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MemberChannelBench {

    private MultiThreadIoEventLoopGroup group;
    private EventLoop loop;
    private Bootstrap template;
    private MemberConnector connector;
    private final ChannelInboundHandlerAdapter handler = new Sharable();

    @io.netty.channel.ChannelHandler.Sharable
    static final class Sharable extends ChannelInboundHandlerAdapter {
    }

    @Setup
    public void setUp() {
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        loop = group.next();
        // the member options LoadBalancer sets (socketOptions, backendTemplate)
        template = new Bootstrap().channel(EpollSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 256 * 1024))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(EpollChannelOption.TCP_KEEPIDLE, 60)
                .option(EpollChannelOption.TCP_KEEPINTVL, 10)
                .option(EpollChannelOption.TCP_KEEPCNT, 6);
        connector = new MemberConnector(template);
    }

    @TearDown
    public void tearDown() throws InterruptedException {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private boolean onLoop(Callable<Channel> task) throws Exception {
        return loop.submit(() -> {
            Channel ch = task.call();
            ch.close();
            return ch.isOpen();
        }).get();
    }

    @Benchmark
    public boolean bootstrapClone() throws Exception {
        return onLoop(() -> {
            ChannelFuture f = template.clone(loop).handler(handler).register();
            return f.channel();
        });
    }

    @Benchmark
    public boolean connector() throws Exception {
        return onLoop(() -> {
            Channel ch = connector.newChannel(handler);
            loop.register(ch);
            return ch;
        });
    }
}
