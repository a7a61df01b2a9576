package io.stickyring.lb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.stickyring.cli.HostPort;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.config.ProxyProtocolMode;
import io.stickyring.lb.metrics.LbMetrics;
import io.stickyring.lb.route.CloseReason;
import io.stickyring.lb.route.HashFactories;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.route.MemberRuntime;
import io.stickyring.lb.route.Router;
import io.stickyring.membership.Member;
import io.stickyring.membership.MembershipView;
import io.stickyring.ring.KeyMode;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Handler tests on EmbeddedChannel; each ends in finishAndReleaseAll() so a leaked buffer fails the test. */
class HandlerTest {

    private final ScheduledExecutorService control = Executors.newSingleThreadScheduledExecutor();
    private final LbMetrics metrics = new LbMetrics();

    @AfterEach
    void stop() {
        control.shutdownNow();
    }

    /** An EmbeddedChannel that reports real socket addresses, as the handlers expect. */
    static final class AddressedChannel extends EmbeddedChannel {
        private final InetSocketAddress remote;

        AddressedChannel(InetSocketAddress remote, ChannelHandler... handlers) {
            super(false, false, handlers);
            this.remote = remote;
            try {
                register();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return remote;
        }

        @Override
        protected SocketAddress localAddress0() {
            return new InetSocketAddress("127.0.0.1", 8080);
        }
    }

    private ProxyContext context(Consumer<LbConfig.Builder> tweak, List<Member> members, ConnectionLimiter limiter) {
        return context(tweak, members, limiter, new Bootstrap());
    }

    private ProxyContext context(Consumer<LbConfig.Builder> tweak, List<Member> members, ConnectionLimiter limiter,
                                 Bootstrap backendTemplate) {
        LbConfig.Builder b = LbConfig.builder().listen(new HostPort("127.0.0.1", 0)).admin(new HostPort("127.0.0.1", 0))
                .backends(List.of(Member.of("x", "127.0.0.1", 1)));
        tweak.accept(b);
        LbConfig cfg = b.build();
        Router router = new Router(cfg, HashFactories.defaults(), metrics, control, System::nanoTime, false);
        if (!members.isEmpty()) {
            router.applyView(MembershipView.of(1, members));
        }
        return new ProxyContext(cfg, router, KeyFunctions.of(KeyMode.ADDRESS, 24, 64), limiter, metrics, new CloseLog(1.0),
                backendTemplate);
    }

    private static ConnectionLimiter unlimited() {
        return new ConnectionLimiter(1000, 0, 0, System::nanoTime);
    }

    @Test
    void frontendRefusesOverTheLimitAndCountsIt() {
        ConnectionLimiter limiter = new ConnectionLimiter(1000, 1, 0, System::nanoTime);
        ProxyContext px = context(b -> { }, List.of(Member.of("a", "127.0.0.1", 1)), limiter);
        assertThat(limiter.acquire(new InetSocketAddress("127.1.1.1", 0).getAddress())).isEqualTo(ConnectionLimiter.Verdict.OK);
        FrontendHandler fe = new FrontendHandler(px);
        EmbeddedChannel ch = new AddressedChannel(new InetSocketAddress("127.1.1.1", 5000), fe);
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(fe.connection().reason()).isEqualTo(CloseReason.LIMIT);
        assertThat(metrics.rejected.labelValues("per_ip").get()).isEqualTo(1.0);
        assertThat(metrics.active.get()).isZero();
        assertThat(limiter.open()).isEqualTo(1); // only the connection acquired above; the refused one released nothing
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aMemberSocketTheLbCannotCreateIsNotBlamedOnTheMember() {
        // what the kernel answers when the LB's descriptors are used up (EMFILE): Netty's socket() fails
        Bootstrap noSockets = new Bootstrap().channelFactory(() -> {
            throw new io.netty.channel.ChannelException("newSocketStream(..) failed: Too many open files");
        });
        ProxyContext px = context(b -> { }, List.of(Member.of("a", "127.0.0.1", 1), Member.of("b", "127.0.0.1", 2)),
                unlimited(), noSockets);
        FrontendHandler fe = new FrontendHandler(px);
        EmbeddedChannel ch = new AddressedChannel(new InetSocketAddress("127.1.1.3", 5000), fe);
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(fe.connection().reason()).isEqualTo(CloseReason.ERROR);
        assertThat(metrics.rejected.labelValues("local_socket").get()).isEqualTo(1.0);
        // neither member is marked down nor charged a failure, so their live connections stay open
        assertThat(px.router.member("a").up()).isTrue();
        assertThat(px.router.member("b").up()).isTrue();
        assertThat(metrics.memberConnectFailures.labelValues("a").get()).isZero();
        assertThat(metrics.memberConnectFailures.labelValues("b").get()).isZero();
        assertThat(metrics.pickRetries.get()).isZero();
        assertThat(px.limiter.open()).isZero();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void frontendWithEmptyViewClosesCleanlyWithNoMember() {
        ProxyContext px = context(b -> { }, List.of(), unlimited());
        FrontendHandler fe = new FrontendHandler(px);
        EmbeddedChannel ch = new AddressedChannel(new InetSocketAddress("127.1.1.2", 5000), fe);
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(fe.connection().reason()).isEqualTo(CloseReason.NO_MEMBER);
        assertThat(metrics.rejected.labelValues("no_member").get()).isEqualTo(1.0);
        assertThat(px.limiter.open()).isZero();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void acceptedProxyHeaderSetsTheClientAddressAndBuffersFollowingBytes() {
        ProxyContext px = context(b -> b.acceptProxyProtocol = true, List.of(), unlimited());
        FrontendHandler fe = new FrontendHandler(px);
        EmbeddedChannel ch = new AddressedChannel(new InetSocketAddress("127.0.0.1", 5000), new HAProxyMessageDecoder(), fe);
        ch.writeInbound(Unpooled.copiedBuffer("PROXY TCP4 10.1.2.3 10.0.0.9 1111 443\r\nearly bytes", StandardCharsets.US_ASCII));
        ch.runPendingTasks();
        assertThat(fe.connection().client).isEqualTo(new InetSocketAddress("10.1.2.3", 1111));
        assertThat(fe.connection().destination).isEqualTo(new InetSocketAddress("10.0.0.9", 443));
        assertThat(fe.connection().reason()).isEqualTo(CloseReason.NO_MEMBER); // empty view: refused after the header
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void missingProxyHeaderTimesOutAfterTheConnectTimeout() {
        ProxyContext px = context(b -> {
            b.acceptProxyProtocol = true;
            b.connectTimeout = java.time.Duration.ofSeconds(2);
        }, List.of(Member.of("a", "127.0.0.1", 1)), unlimited());
        FrontendHandler fe = new FrontendHandler(px);
        EmbeddedChannel ch = new AddressedChannel(new InetSocketAddress("127.0.0.1", 5000), new HAProxyMessageDecoder(), fe);
        ch.writeInbound(Unpooled.copiedBuffer("PROXY TCP4 10.1", StandardCharsets.US_ASCII)); // incomplete header
        ch.advanceTimeBy(1, java.util.concurrent.TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isTrue();
        ch.advanceTimeBy(2, java.util.concurrent.TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(metrics.rejected.labelValues("proxy_header_timeout").get()).isEqualTo(1.0);
        ch.finishAndReleaseAll();
    }

    /** Holds a member channel's connect in flight until the test completes {@link #promise}. */
    static final class HeldConnect extends io.netty.channel.ChannelOutboundHandlerAdapter {
        io.netty.channel.ChannelPromise promise;

        @Override
        public void connect(io.netty.channel.ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local,
                            io.netty.channel.ChannelPromise p) {
            promise = p;
        }
    }

    /** Counts read requests on the client channel, which starts with AUTO_READ off as the listener sets it. */
    static final class ReadRequests extends io.netty.channel.ChannelDuplexHandler {
        int reads;

        @Override
        public void handlerAdded(io.netty.channel.ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(false); // the listener's childOption(AUTO_READ, false)
        }

        @Override
        public void read(io.netty.channel.ChannelHandlerContext ctx) {
            reads++;
            ctx.read();
        }
    }

    /** A client whose member connect stays in flight: the client channel, its member channel and the held connect. */
    private record InFlight(EmbeddedChannel client, EmbeddedChannel member, HeldConnect held, ReadRequests reads,
                            FrontendHandler fe) {
    }

    private InFlight inFlight() {
        HeldConnect held = new HeldConnect();
        EmbeddedChannel[] member = new EmbeddedChannel[1];
        Bootstrap template = new Bootstrap().channelFactory(() -> {
            member[0] = new EmbeddedChannel(false, false, held);
            member[0].config().setAutoRead(false);
            return member[0];
        });
        ProxyContext px = context(b -> { }, List.of(Member.of("a", "127.0.0.1", 1)), unlimited(), template);
        FrontendHandler fe = new FrontendHandler(px);
        ReadRequests reads = new ReadRequests();
        EmbeddedChannel client = new AddressedChannel(new InetSocketAddress("127.1.1.4", 4000), reads, fe);
        client.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(1024, 4096));
        assertThat(held.promise).as("the member connect is in flight").isNotNull();
        return new InFlight(client, member[0], held, reads, fe);
    }

    @Test
    void theClientIsReadWhileItsMemberConnectIsInFlight() {
        InFlight f = inFlight();
        // the first bytes are read in the pass that completes the connect, not one pass later
        assertThat(f.reads().reads).as("read requests before the connect completes").isPositive();
        assertThat(f.client().config().isAutoRead()).isTrue();
        f.client().writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n", StandardCharsets.US_ASCII));
        f.client().writeInbound(Unpooled.copiedBuffer("\r\n", StandardCharsets.US_ASCII));
        assertThat(f.member().outboundMessages()).as("nothing reaches the member before it is connected").isEmpty();
        f.held().promise.setSuccess();
        ByteBuf first = f.member().readOutbound();
        ByteBuf second = f.member().readOutbound();
        assertThat(first.toString(StandardCharsets.US_ASCII) + second.toString(StandardCharsets.US_ASCII))
                .isEqualTo("GET / HTTP/1.1\r\n\r\n");
        first.release();
        second.release();
        assertThat(f.fe().connection().bytesToMember).isEqualTo(18);
        assertThat(f.client().finishAndReleaseAll()).isFalse();
        assertThat(f.member().finishAndReleaseAll()).isFalse();
    }

    @Test
    void bytesReadBeforeTheConnectStopReadingAtTheHighWatermarkAndAllReachTheMember() {
        InFlight f = inFlight();
        byte[] chunk = new byte[1500];
        for (int i = 0; i < 2; i++) {
            f.client().writeInbound(Unpooled.wrappedBuffer(chunk));
        }
        assertThat(f.client().config().isAutoRead()).as("2x1500 bytes pending: below the 4096-byte high watermark").isTrue();
        f.client().writeInbound(Unpooled.wrappedBuffer(chunk));
        assertThat(f.client().config().isAutoRead()).as("4500 bytes pending: reading stops").isFalse();
        f.held().promise.setSuccess();
        long relayed = 0;
        for (ByteBuf b; (b = f.member().readOutbound()) != null; ) {
            relayed += b.readableBytes();
            b.release();
        }
        assertThat(relayed).isEqualTo(4500);
        assertThat(f.client().config().isAutoRead()).as("connected: the client reads on its own again").isTrue();
        assertThat(f.client().finishAndReleaseAll()).isFalse();
        assertThat(f.member().finishAndReleaseAll()).isFalse();
    }

    @Test
    void aClientThatLeavesDuringTheConnectReleasesItsPendingBytesAndTheMemberChannel() {
        InFlight f = inFlight();
        f.client().writeInbound(Unpooled.copiedBuffer("early", StandardCharsets.US_ASCII));
        f.client().close();
        f.held().promise.setSuccess();
        assertThat(f.member().isOpen()).as("the member channel of a departed client is closed").isFalse();
        assertThat(f.fe().connection().reason()).isEqualTo(CloseReason.CLIENT);
        assertThat(f.member().finishAndReleaseAll()).as("no pending byte was relayed").isFalse();
        assertThat(f.client().finishAndReleaseAll()).isFalse();
    }

    /** A frontend/backend pair wired as after a successful connect, without sockets. */
    private record Pair(EmbeddedChannel client, EmbeddedChannel member, ProxyConnection conn) {
    }

    private Pair pair() {
        ProxyContext px = context(b -> { }, List.of(Member.of("a", "127.0.0.1", 1)), unlimited());
        MemberRuntime m = px.router.member("a");
        EmbeddedChannel client = new AddressedChannel(new InetSocketAddress("127.1.1.3", 4000));
        ProxyConnection conn = new ProxyConnection(client);
        conn.member = m;
        conn.connected = true;
        EmbeddedChannel member = new EmbeddedChannel(new BackendHandler(conn));
        conn.backend = member;
        return new Pair(client, member, conn);
    }

    @Test
    void backendRelaysMemberBytesToTheClientAndCountsThem() {
        Pair p = pair();
        p.member().writeInbound(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
        ByteBuf out = p.client().readOutbound();
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        out.release();
        assertThat(p.conn().bytesFromMember).isEqualTo(5);
        assertThat(p.conn().member().bytesFromMember.get()).isEqualTo(5.0);
        assertThat(p.client().finishAndReleaseAll()).isFalse();
        assertThat(p.member().finishAndReleaseAll()).isFalse();
    }

    @Test
    void memberFinAfterClientFinClosesBothWithClientAsCloser() {
        Pair p = pair();
        p.conn().clientEof = true;
        p.member().pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        p.member().runPendingTasks();
        p.client().runPendingTasks();
        assertThat(p.client().isOpen()).isFalse();
        assertThat(p.member().isOpen()).isFalse();
        assertThat(p.conn().reason()).isEqualTo(CloseReason.CLIENT);
        p.client().finishAndReleaseAll();
        p.member().finishAndReleaseAll();
    }

    @Test
    void memberIdleClosesBothWithReasonIdle() {
        Pair p = pair();
        p.member().pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        assertThat(p.conn().reason()).isEqualTo(CloseReason.IDLE);
        assertThat(p.client().isOpen()).isFalse();
        assertThat(p.member().isOpen()).isFalse();
        p.client().finishAndReleaseAll();
        p.member().finishAndReleaseAll();
    }

    @Test
    void memberCloseClosesTheClientAfterFlushingWithReasonMember() {
        Pair p = pair();
        p.member().writeInbound(Unpooled.copiedBuffer("bye", StandardCharsets.US_ASCII));
        p.member().close();
        p.client().runPendingTasks();
        ByteBuf out = p.client().readOutbound();
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("bye");
        out.release();
        assertThat(p.client().isOpen()).isFalse();
        assertThat(p.conn().reason()).isEqualTo(CloseReason.MEMBER);
        p.client().finishAndReleaseAll();
        p.member().finishAndReleaseAll();
    }

    @Test
    void proxyHeadersEncodeV1ExactlyAndV2RoundTrips() {
        EmbeddedChannel enc = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        enc.writeOutbound(ProxyHeaders.header(ProxyProtocolMode.V1, new InetSocketAddress("127.3.4.5", 5555),
                new InetSocketAddress("127.0.0.1", 8080)));
        ByteBuf v1 = enc.readOutbound();
        assertThat(v1.toString(StandardCharsets.US_ASCII)).isEqualTo("PROXY TCP4 127.3.4.5 127.0.0.1 5555 8080\r\n");
        v1.release();

        enc.writeOutbound(ProxyHeaders.header(ProxyProtocolMode.V2, new InetSocketAddress("::ffff:10.0.0.1", 7),
                new InetSocketAddress("2001:db8::1", 443)));
        ByteBuf v2 = enc.readOutbound();
        EmbeddedChannel dec = new EmbeddedChannel(new HAProxyMessageDecoder());
        dec.writeInbound(v2);
        HAProxyMessage m = dec.readInbound();
        assertThat(m.protocolVersion()).isEqualTo(HAProxyProtocolVersion.V2);
        assertThat(KeyFunctions.parseLiteral(m.sourceAddress())).isEqualTo(KeyFunctions.parseLiteral("10.0.0.1"));
        assertThat(KeyFunctions.parseLiteral(m.destinationAddress())).isEqualTo(KeyFunctions.parseLiteral("2001:db8::1"));
        assertThat(m.sourcePort()).isEqualTo(7);
        m.release();
        assertThat(enc.finishAndReleaseAll()).isFalse();
        assertThat(dec.finishAndReleaseAll()).isFalse();
    }
}
