package io.stickyring.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.membership.Member;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The LB never buffers without bound: a member pushing data to a client that does not read (and a
 * client pushing to a member that does not read) stalls at a plateau set by the write watermark and
 * kernel socket buffers, then resumes when the slow side reads.
 */
@Timeout(60)
class BackpressureTest {

    private final LbHarness h = new LbHarness();
    private Channel server;

    @AfterEach
    void close() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        h.close();
    }

    /** A member that writes 64 KiB chunks while its channel is writable, forever. */
    private Member firehose(AtomicLong sent) throws InterruptedException {
        ByteBuf chunk = Unpooled.unreleasableBuffer(Unpooled.directBuffer(65536).writeZero(65536));
        server = new ServerBootstrap().group(h.backendGroup).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        pump(ctx);
                    }

                    @Override
                    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                        pump(ctx);
                    }

                    private void pump(ChannelHandlerContext ctx) {
                        while (ctx.channel().isActive() && ctx.channel().isWritable()) {
                            ctx.writeAndFlush(chunk.duplicate());
                            sent.addAndGet(65536);
                        }
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return Member.of("fire", "127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort());
    }

    /** A member that accepts and never reads. */
    private Member sink() throws InterruptedException {
        server = new ServerBootstrap().group(h.backendGroup).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInboundHandlerAdapter())
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return Member.of("sink", "127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort());
    }

    private static long plateau(java.util.function.LongSupplier bytes) {
        long[] last = {-1};
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(400)).until(() -> {
            long now = bytes.getAsLong();
            boolean flat = now > 0 && now == last[0];
            last[0] = now;
            return flat;
        });
        return last[0];
    }

    @Test
    void slowClientStallsTheMemberAtABoundedPlateauThenResumes() throws Exception {
        AtomicLong sent = new AtomicLong();
        Member fire = firehose(sent);
        LoadBalancer lb = h.start(b -> b.backends = List.of(fire));
        try (Socket client = new Socket()) {
            client.setReceiveBufferSize(64 * 1024);
            client.connect(lb.proxyAddress(), 5000);
            client.setSoTimeout(5000);
            var fromMember = lb.router().member("fire").bytesFromMember;
            long stalled = plateau(() -> (long) fromMember.get());
            assertThat(stalled).isLessThan(32L * 1024 * 1024);
            // reading 16 MiB at the client makes the LB read from the member again
            InputStream in = client.getInputStream();
            byte[] buf = new byte[65536];
            long read = 0;
            while (read < 16L * 1024 * 1024) {
                int n = in.read(buf);
                assertThat(n).isPositive();
                read += n;
            }
            assertThat((long) fromMember.get()).isGreaterThan(stalled);
        }
    }

    @Test
    void slowMemberStallsTheClientAtABoundedPlateau() throws Exception {
        Member sink = sink();
        LoadBalancer lb = h.start(b -> b.backends = List.of(sink));
        AtomicLong written = new AtomicLong();
        try (Socket client = new Socket()) {
            client.connect(lb.proxyAddress(), 5000);
            OutputStream out = client.getOutputStream();
            Thread writer = new Thread(() -> {
                byte[] buf = new byte[65536];
                try {
                    while (written.get() < 512L * 1024 * 1024) {
                        out.write(buf);
                        written.addAndGet(buf.length);
                    }
                } catch (Exception e) {
                    // closed at the end of the test
                }
            });
            writer.setDaemon(true);
            writer.start();
            var toMember = lb.router().member("sink").bytesToMember;
            long stalled = plateau(() -> (long) toMember.get());
            assertThat(stalled).isLessThan(32L * 1024 * 1024);
            assertThat(written.get()).isLessThan(64L * 1024 * 1024);
        }
    }
}
