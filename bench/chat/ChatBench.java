// Load client for bench/chat/run.sh. Runs as a single-file Java program on the stickyring jar's classpath:
//   java -cp dist/target/stickyring.jar bench/chat/ChatBench.java send --port P --secret S ...
//   java -cp dist/target/stickyring.jar bench/chat/ChatBench.java idle --port P --secret S --connections 10000
//
// send: U users in direct-conversation pairs, each keeping W sends outstanding (closed loop) for
//       the warm-up and then the measured duration; ack latency (send written -> ack read) goes into
//       an HdrHistogram. Prints one JSON line.
// idle: N authenticated WebSockets (hello + synced) from many source addresses 127.1.x.y, held
//       open until stdin closes or --hold seconds pass. Prints "READY <n>" once all are up.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.stickyring.chat.auth.TokenService;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;

public class ChatBench {
    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        String mode = args[0];
        int port = Integer.parseInt(o.get("port"));
        String host = o.getOrDefault("host", "127.0.0.1");
        TokenService tokens = new TokenService(o.get("secret").getBytes(StandardCharsets.UTF_8), Duration.ofHours(2), Clock.systemUTC());
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(Integer.parseInt(o.getOrDefault("threads", "2")), EpollIoHandler.newFactory());
        try {
            if (mode.equals("send")) {
                send(group, host, port, tokens, o);
            } else if (mode.equals("rate")) {
                rate(group, host, port, tokens, o);
            } else if (mode.equals("idle")) {
                idle(group, host, port, tokens, o);
            } else {
                throw new IllegalArgumentException("mode (" + mode + ") must be send or idle");
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** One WebSocket client connection; the callback sees every server frame as JSON. */
    interface OnFrame {
        void frame(Channel ch, JsonNode n);
    }

    static Channel connect(EventLoopGroup group, String host, int port, InetSocketAddress local, String token, OnFrame onFrame)
            throws InterruptedException {
        URI uri = URI.create("ws://" + host + ":" + port + "/ws");
        Bootstrap b = new Bootstrap().group(group).channel(EpollSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536),
                                new WebSocketClientProtocolHandler(WebSocketClientProtocolConfig.newBuilder()
                                        .webSocketUri(uri).handshakeTimeoutMillis(30_000).maxFramePayloadLength(1 << 20).build()),
                                new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                                    @Override
                                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                        if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                                            ObjectNode hello = JSON.createObjectNode().put("t", "hello").put("token", token).put("cursor", 0);
                                            ctx.writeAndFlush(new TextWebSocketFrame(hello.toString()));
                                        }
                                    }

                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame f) throws Exception {
                                        onFrame.frame(ctx.channel(), JSON.readTree(f.text()));
                                    }
                                });
                    }
                });
        return (local == null ? b.connect(host, port) : b.connect(new InetSocketAddress(host, port), local)).sync().channel();
    }

    static void send(EventLoopGroup group, String host, int port, TokenService tokens, Map<String, String> o) throws Exception {
        int users = Integer.parseInt(o.getOrDefault("users", "100"));
        int window = Integer.parseInt(o.getOrDefault("window", "4"));
        int bodyBytes = Integer.parseInt(o.getOrDefault("body", "100"));
        int warmup = Integer.parseInt(o.getOrDefault("warmup", "5"));
        int duration = Integer.parseInt(o.getOrDefault("duration", "20"));
        String runTag = UUID.randomUUID().toString().substring(0, 8);
        String body = "x".repeat(bodyBytes);
        Recorder recorder = new Recorder(3_600_000_000L, 3);
        AtomicLong acks = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch ready = new CountDownLatch(users);
        java.util.List<Runnable> starters = new java.util.ArrayList<>();
        for (int u = 0; u < users; u++) {
            String me = "b" + runTag + "u" + u;
            String peer = "b" + runTag + "u" + (u ^ 1);
            String conv = me.compareTo(peer) < 0 ? "dm:" + me + ":" + peer : "dm:" + peer + ":" + me;
            // Per-connection state, touched only on the connection's event loop.
            Map<String, Long> inflight = new HashMap<>();
            int[] seqNo = {0};
            boolean[] synced = {false};
            Channel[] chRef = new Channel[1];
            Runnable sendOne = () -> {
                String id = me + "-" + (++seqNo[0]);
                inflight.put(id, System.nanoTime());
                ObjectNode s = JSON.createObjectNode().put("t", "send").put("id", id).put("conv", conv).put("body", body);
                chRef[0].writeAndFlush(new TextWebSocketFrame(s.toString()));
            };
            chRef[0] = connect(group, host, port, null, tokens.issue(me), (ch, n) -> {
                switch (n.get("t").asText()) {
                    case "synced" -> {
                        if (!synced[0]) {
                            synced[0] = true;
                            ready.countDown();
                        }
                    }
                    case "ack" -> {
                        Long sentAt = inflight.remove(n.get("id").asText());
                        if (sentAt != null) {
                            recorder.recordValue(Math.max(1, (System.nanoTime() - sentAt) / 1000));
                            acks.incrementAndGet();
                        }
                        if (running.get()) {
                            sendOne.run();
                        }
                    }
                    case "error" -> errors.incrementAndGet();
                    default -> { }
                }
            });
            Channel ch = chRef[0];
            starters.add(() -> ch.eventLoop().execute(() -> {
                for (int i = 0; i < window; i++) {
                    sendOne.run();
                }
            }));
        }
        if (!ready.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("only " + (users - ready.getCount()) + " of " + users + " sessions came up");
        }
        System.err.printf("send: %d users, window %d, body %d B, warm-up %d s, measure %d s%n", users, window, bodyBytes, warmup, duration);
        starters.forEach(Runnable::run);
        Thread.sleep(warmup * 1000L);
        recorder.getIntervalHistogram();
        long a0 = acks.get();
        long t0 = System.nanoTime();
        for (int s = 1; s <= duration; s++) {
            Thread.sleep(1000);
            System.err.printf("  %2d s: %d acks total%n", s, acks.get() - a0);
        }
        long a1 = acks.get();
        double secs = (System.nanoTime() - t0) / 1e9;
        Histogram h = recorder.getIntervalHistogram();
        running.set(false);
        ObjectNode out = JSON.createObjectNode();
        out.put("mode", "send").put("users", users).put("window", window).put("bodyBytes", bodyBytes)
                .put("seconds", Math.round(secs * 10) / 10.0).put("acks", a1 - a0)
                .put("sendsPerSecond", Math.round((a1 - a0) / secs))
                .put("p50Ms", h.getValueAtPercentile(50) / 1000.0).put("p99Ms", h.getValueAtPercentile(99) / 1000.0)
                .put("p999Ms", h.getValueAtPercentile(99.9) / 1000.0).put("maxMs", h.getMaxValue() / 1000.0)
                .put("errors", errors.get());
        System.out.println(out);
    }

    /**
     * Open loop at a fixed total rate ("moderate load"): sends are issued on a 1 ms clock
     * regardless of acks; records ack latency and delivery latency (send -> the peer's msg frame).
     */
    static void rate(EventLoopGroup group, String host, int port, TokenService tokens, Map<String, String> o) throws Exception {
        int users = Integer.parseInt(o.getOrDefault("users", "100"));
        int perSecond = Integer.parseInt(o.getOrDefault("rate", "500"));
        int bodyBytes = Integer.parseInt(o.getOrDefault("body", "100"));
        int warmup = Integer.parseInt(o.getOrDefault("warmup", "5"));
        int duration = Integer.parseInt(o.getOrDefault("duration", "20"));
        String runTag = UUID.randomUUID().toString().substring(0, 8);
        String body = "x".repeat(bodyBytes);
        Recorder ackRec = new Recorder(3_600_000_000L, 3);
        Recorder deliveryRec = new Recorder(3_600_000_000L, 3);
        java.util.concurrent.ConcurrentHashMap<String, Long> sentAt = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.ConcurrentHashMap<String, Long> deliverAt = new java.util.concurrent.ConcurrentHashMap<>();
        AtomicLong acks = new AtomicLong();
        AtomicLong delivered = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        CountDownLatch ready = new CountDownLatch(users);
        Channel[] channels = new Channel[users];
        String[] convs = new String[users];
        for (int u = 0; u < users; u++) {
            String me = "r" + runTag + "u" + u;
            String peer = "r" + runTag + "u" + (u ^ 1);
            convs[u] = me.compareTo(peer) < 0 ? "dm:" + me + ":" + peer : "dm:" + peer + ":" + me;
            boolean[] synced = {false};
            channels[u] = connect(group, host, port, null, tokens.issue(me), (ch, n) -> {
                switch (n.get("t").asText()) {
                    case "synced" -> {
                        if (!synced[0]) {
                            synced[0] = true;
                            ready.countDown();
                        }
                    }
                    case "ack" -> {
                        Long t0 = sentAt.remove(n.get("id").asText());
                        if (t0 != null) {
                            ackRec.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
                            acks.incrementAndGet();
                        }
                    }
                    case "msg" -> {
                        if (!n.get("from").asText().equals(me)) {
                            Long t0 = deliverAt.remove(n.get("id").asText());
                            if (t0 != null) {
                                deliveryRec.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
                                delivered.incrementAndGet();
                            }
                        }
                    }
                    case "error" -> errors.incrementAndGet();
                    default -> { }
                }
            });
        }
        if (!ready.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("sessions did not come up");
        }
        System.err.printf("rate: %d users, %d sends/s total, body %d B, warm-up %d s, measure %d s%n", users, perSecond, bodyBytes, warmup, duration);
        AtomicBoolean running = new AtomicBoolean(true);
        Thread clock = new Thread(() -> {
            long start = System.nanoTime();
            long issued = 0;
            int next = 0;
            while (running.get()) {
                long due = (System.nanoTime() - start) * perSecond / 1_000_000_000L;
                while (issued < due) {
                    int u = next++ % users;
                    String id = "r" + u + "-" + issued++;
                    Channel ch = channels[u];
                    String frame = JSON.createObjectNode().put("t", "send").put("id", id).put("conv", convs[u]).put("body", body).toString();
                    ch.eventLoop().execute(() -> {
                        long now = System.nanoTime();
                        sentAt.put(id, now);
                        deliverAt.put(id, now);
                        ch.writeAndFlush(new TextWebSocketFrame(frame));
                    });
                }
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            }
        }, "rate-clock");
        clock.start();
        Thread.sleep(warmup * 1000L);
        ackRec.getIntervalHistogram();
        deliveryRec.getIntervalHistogram();
        java.util.TreeMap<Double, Double> nodeBefore = nodeAckBuckets(host, port);
        long a0 = acks.get();
        long d0 = delivered.get();
        long t0 = System.nanoTime();
        for (int s = 1; s <= duration; s++) {
            Thread.sleep(1000);
            System.err.printf("  %2d s: %d acks, %d deliveries%n", s, acks.get() - a0, delivered.get() - d0);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Histogram ah = ackRec.getIntervalHistogram();
        Histogram dh = deliveryRec.getIntervalHistogram();
        java.util.TreeMap<Double, Double> nodeAfter = nodeAckBuckets(host, port);
        running.set(false);
        clock.join();
        ObjectNode out = JSON.createObjectNode();
        out.put("mode", "rate").put("users", users).put("targetPerSecond", perSecond).put("bodyBytes", bodyBytes)
                .put("seconds", Math.round(secs * 10) / 10.0)
                .put("acksPerSecond", Math.round((acks.get() - a0) / secs))
                .put("ackP50Ms", ah.getValueAtPercentile(50) / 1000.0).put("ackP99Ms", ah.getValueAtPercentile(99) / 1000.0)
                .put("deliveryP50Ms", dh.getValueAtPercentile(50) / 1000.0).put("deliveryP99Ms", dh.getValueAtPercentile(99) / 1000.0)
                .put("deliveryP999Ms", dh.getValueAtPercentile(99.9) / 1000.0).put("deliveryMaxMs", dh.getMaxValue() / 1000.0)
                .put("errors", errors.get());
        // The node's own ack latency over the measured window (its histogram: bucket upper bounds).
        out.put("nodeAckP50AtMostMs", bucketQuantile(nodeBefore, nodeAfter, 0.5) * 1000)
                .put("nodeAckP99AtMostMs", bucketQuantile(nodeBefore, nodeAfter, 0.99) * 1000)
                .put("nodeAckP999AtMostMs", bucketQuantile(nodeBefore, nodeAfter, 0.999) * 1000);
        System.out.println(out);
    }

    /** Cumulative bucket counts of the node's stickyring_chat_ack_latency_seconds, by upper bound. */
    static java.util.TreeMap<Double, Double> nodeAckBuckets(String host, int port) throws Exception {
        var client = java.net.http.HttpClient.newHttpClient();
        String text = client.send(java.net.http.HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        java.util.TreeMap<Double, Double> b = new java.util.TreeMap<>();
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("^stickyring_chat_ack_latency_seconds_bucket\\{le=\"([^\"]+)\"\\} (\\S+)$");
        for (String line : text.split("\n")) {
            java.util.regex.Matcher m = p.matcher(line);
            if (m.matches()) {
                b.put(m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)));
            }
        }
        return b;
    }

    static double bucketQuantile(java.util.TreeMap<Double, Double> before, java.util.TreeMap<Double, Double> after, double q) {
        double total = after.lastEntry().getValue() - before.getOrDefault(after.lastKey(), 0.0);
        for (Map.Entry<Double, Double> e : after.entrySet()) {
            if (e.getValue() - before.getOrDefault(e.getKey(), 0.0) >= q * total) {
                return e.getKey();
            }
        }
        return Double.POSITIVE_INFINITY;
    }

    static void idle(EventLoopGroup group, String host, int port, TokenService tokens, Map<String, String> o) throws Exception {
        int n = Integer.parseInt(o.getOrDefault("connections", "10000"));
        int perIp = Integer.parseInt(o.getOrDefault("per-ip", "250"));
        int hold = Integer.parseInt(o.getOrDefault("hold", "600"));
        AtomicInteger synced = new AtomicInteger();
        AtomicInteger closed = new AtomicInteger();
        Channel[] channels = new Channel[n];
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            int ip = i / perIp;
            InetSocketAddress local = new InetSocketAddress("127.1." + (ip / 250) + "." + (ip % 250 + 1), 0);
            channels[i] = connect(group, host, port, local, tokens.issue("idle" + i), (ch, f) -> {
                if (f.get("t").asText().equals("synced")) {
                    synced.incrementAndGet();
                }
            });
            channels[i].closeFuture().addListener(f -> closed.incrementAndGet());
            if ((i + 1) % 1000 == 0) {
                System.err.printf("idle: %d connected, %d synced (%.1f s)%n", i + 1, synced.get(), (System.nanoTime() - t0) / 1e9);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (synced.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        System.out.println("READY " + synced.get() + " closed " + closed.get());
        System.out.flush();
        // Hold until the script closes our stdin (or the hold time passes).
        Thread reader = new Thread(() -> {
            try {
                while (System.in.read() >= 0) { }
            } catch (Exception e) { }
        });
        reader.setDaemon(true);
        reader.start();
        reader.join(hold * 1000L);
        System.out.println("closed-during-hold " + closed.get());
        for (Channel ch : channels) {
            ch.close();
        }
    }
}
