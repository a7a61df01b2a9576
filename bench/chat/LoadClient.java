// WebSocket load client shared by bench/chat/ChatBench.java (one node) and
// bench/cluster/ClusterBench.java (users spread over several nodes). Not run on its own: each
// run.sh compiles it together with its bench program (javac -cp the stickyring jar).
//
// User u connects to port u % k of the k given ports and talks with user u ^ 1 in a direct
// conversation. Latencies go into HdrHistograms in microseconds:
//   ack      = send frame written -> ack frame read by the sender,
//   delivery = send frame written -> the peer's msg frame read.
// send: closed loop, each user keeps W sends outstanding; rate: open loop at a fixed total rate.
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
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/** The load client: where to connect (host, ports), how to log in, and the event loops to use. */
public final class LoadClient implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final Map<String, String> o;
    final String host;
    final int[] ports;
    /** The nodes' admin listeners (--admin-ports P1,P2,..), where /metrics is served. */
    final int[] adminPorts;
    final TokenService tokens;
    final EventLoopGroup group;

    /** {@code o} = the command's options ({@link #options}); {@code ports} = the node ports users are spread over. */
    LoadClient(Map<String, String> o, int[] ports) {
        this.o = o;
        this.ports = ports;
        this.adminPorts = o.containsKey("admin-ports")
                ? java.util.Arrays.stream(o.get("admin-ports").split(",")).mapToInt(Integer::parseInt).toArray() : new int[0];
        this.host = o.getOrDefault("host", "127.0.0.1");
        this.tokens = new TokenService(o.get("secret").getBytes(StandardCharsets.UTF_8), Duration.ofHours(2), Clock.systemUTC());
        this.group = new MultiThreadIoEventLoopGroup(Integer.parseInt(o.getOrDefault("threads", "2")), EpollIoHandler.newFactory());
    }

    /** The "--name value" pairs after the mode argument. */
    static Map<String, String> options(String[] args) {
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        return o;
    }

    int intOption(String name, String dflt) {
        return Integer.parseInt(o.getOrDefault(name, dflt));
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** One WebSocket client connection; the callback sees every server frame as JSON. */
    interface OnFrame {
        void frame(Channel ch, JsonNode n);
    }

    /** Connects, upgrades to WebSocket and sends hello with a token for the user. */
    Channel connect(int port, InetSocketAddress local, String user, OnFrame onFrame) throws InterruptedException {
        String token = tokens.issue(user);
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

    /** The direct-conversation id of two users (the server's dm:&lt;lower&gt;:&lt;higher&gt;). */
    static String dmId(String a, String b) {
        return a.compareTo(b) < 0 ? "dm:" + a + ":" + b : "dm:" + b + ":" + a;
    }

    static void record(Recorder r, long sentAtNanos) {
        r.recordValue(Math.max(1, (System.nanoTime() - sentAtNanos) / 1000));
    }

    static double ms(long micros) {
        return micros / 1000.0;
    }

    /** Counts the first "synced" of a connection down on {@code ready} (event-loop state). */
    static final class SyncOnce {
        private boolean synced;

        void onSynced(CountDownLatch ready) {
            if (!synced) {
                synced = true;
                ready.countDown();
            }
        }
    }

    /**
     * Closed loop: each user keeps {@code window} sends outstanding for the warm-up and the measured
     * duration. With {@code trackDelivery}, delivery latency to the peer is recorded too (and the
     * JSON line says over how many nodes the users were spread).
     */
    ObjectNode send(boolean trackDelivery) throws Exception {
        int users = intOption("users", "100");
        int window = intOption("window", "4");
        int bodyBytes = intOption("body", "100");
        int warmup = intOption("warmup", "5");
        int duration = intOption("duration", "20");
        String runTag = UUID.randomUUID().toString().substring(0, 8);
        String body = "x".repeat(bodyBytes);
        Recorder recorder = new Recorder(3_600_000_000L, 3);
        Recorder deliveryRec = new Recorder(3_600_000_000L, 3);
        ConcurrentHashMap<String, Long> deliverAt = new ConcurrentHashMap<>();
        AtomicLong acks = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch ready = new CountDownLatch(users);
        List<Runnable> starters = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            String me = "b" + runTag + "u" + u;
            String conv = dmId(me, "b" + runTag + "u" + (u ^ 1));
            // Per-connection state, touched only on the connection's event loop.
            Map<String, Long> inflight = new HashMap<>();
            int[] seqNo = {0};
            SyncOnce sync = new SyncOnce();
            Channel[] chRef = new Channel[1];
            Runnable sendOne = () -> {
                String id = me + "-" + (++seqNo[0]);
                long now = System.nanoTime();
                inflight.put(id, now);
                if (trackDelivery) {
                    deliverAt.put(id, now);
                }
                ObjectNode s = JSON.createObjectNode().put("t", "send").put("id", id).put("conv", conv).put("body", body);
                chRef[0].writeAndFlush(new TextWebSocketFrame(s.toString()));
            };
            chRef[0] = connect(ports[u % ports.length], null, me, (ch, n) -> {
                switch (n.get("t").asText()) {
                    case "synced" -> sync.onSynced(ready);
                    case "ack" -> {
                        Long sentAt = inflight.remove(n.get("id").asText());
                        if (sentAt != null) {
                            record(recorder, sentAt);
                            acks.incrementAndGet();
                        }
                        if (running.get()) {
                            sendOne.run();
                        }
                    }
                    case "msg" -> {
                        if (trackDelivery && !n.get("from").asText().equals(me)) {
                            Long t0 = deliverAt.remove(n.get("id").asText());
                            if (t0 != null) {
                                record(deliveryRec, t0);
                            }
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
        deliveryRec.getIntervalHistogram();
        long a0 = acks.get();
        long t0 = System.nanoTime();
        for (int s = 1; s <= duration; s++) {
            Thread.sleep(1000);
            System.err.printf("  %2d s: %d acks total%n", s, acks.get() - a0);
        }
        long a1 = acks.get();
        double secs = (System.nanoTime() - t0) / 1e9;
        Histogram h = recorder.getIntervalHistogram();
        Histogram dh = deliveryRec.getIntervalHistogram();
        running.set(false);
        ObjectNode out = JSON.createObjectNode();
        out.put("mode", "send").put("users", users).put("window", window).put("bodyBytes", bodyBytes)
                .put("seconds", Math.round(secs * 10) / 10.0).put("acks", a1 - a0)
                .put("sendsPerSecond", Math.round((a1 - a0) / secs))
                .put("p50Ms", ms(h.getValueAtPercentile(50))).put("p99Ms", ms(h.getValueAtPercentile(99)))
                .put("p999Ms", ms(h.getValueAtPercentile(99.9))).put("maxMs", ms(h.getMaxValue()));
        if (trackDelivery) {
            out.put("deliveryP50Ms", ms(dh.getValueAtPercentile(50))).put("deliveryP99Ms", ms(dh.getValueAtPercentile(99)))
                    .put("nodes", ports.length);
        }
        out.put("errors", errors.get());
        return out;
    }

    /**
     * Open loop at a fixed total rate ("moderate load"): sends are issued on a 0.2 ms clock
     * regardless of acks; records ack latency and delivery latency (send -> the peer's msg frame),
     * and the nodes' own ack-latency histogram over the measured window. Send k is due at
     * start + k / rate: the {@code ...FromDue} figures count from then (coordinated-omission
     * correct: a client that wrote late, because its clock thread or event loop was not scheduled,
     * is charged for it), the others from when the frame was written; {@code sendLag} is the
     * difference (due -> written), and {@code clientCpuCores} the load client's own CPU over the
     * measured window (a starved client shows up there).
     */
    ObjectNode rate() throws Exception {
        int users = intOption("users", "100");
        int perSecond = intOption("rate", "500");
        int bodyBytes = intOption("body", "100");
        int warmup = intOption("warmup", "5");
        int duration = intOption("duration", "20");
        String runTag = UUID.randomUUID().toString().substring(0, 8);
        String body = "x".repeat(bodyBytes);
        Recorder ackRec = new Recorder(3_600_000_000L, 3);
        Recorder deliveryRec = new Recorder(3_600_000_000L, 3);
        Recorder deliveryDueRec = new Recorder(3_600_000_000L, 3);
        Recorder lagRec = new Recorder(3_600_000_000L, 3);
        ConcurrentHashMap<String, Long> sentAt = new ConcurrentHashMap<>();
        ConcurrentHashMap<String, Long> deliverAt = new ConcurrentHashMap<>();
        ConcurrentHashMap<String, Long> dueAt = new ConcurrentHashMap<>();
        AtomicLong acks = new AtomicLong();
        AtomicLong delivered = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        CountDownLatch ready = new CountDownLatch(users);
        Channel[] channels = new Channel[users];
        String[] convs = new String[users];
        for (int u = 0; u < users; u++) {
            String me = "r" + runTag + "u" + u;
            convs[u] = dmId(me, "r" + runTag + "u" + (u ^ 1));
            SyncOnce sync = new SyncOnce();
            channels[u] = connect(ports[u % ports.length], null, me, (ch, n) -> {
                switch (n.get("t").asText()) {
                    case "synced" -> sync.onSynced(ready);
                    case "ack" -> {
                        Long t0 = sentAt.remove(n.get("id").asText());
                        if (t0 != null) {
                            record(ackRec, t0);
                            acks.incrementAndGet();
                        }
                    }
                    case "msg" -> {
                        if (!n.get("from").asText().equals(me)) {
                            Long t0 = deliverAt.remove(n.get("id").asText());
                            Long due = dueAt.remove(n.get("id").asText());
                            if (t0 != null) {
                                record(deliveryRec, t0);
                                delivered.incrementAndGet();
                            }
                            if (due != null) {
                                record(deliveryDueRec, due);
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
                    long dueAtNanos = start + issued * 1_000_000_000L / perSecond;
                    String id = "r" + u + "-" + issued++;
                    Channel ch = channels[u];
                    String frame = JSON.createObjectNode().put("t", "send").put("id", id).put("conv", convs[u]).put("body", body).toString();
                    ch.eventLoop().execute(() -> {
                        long now = System.nanoTime();
                        sentAt.put(id, now);
                        deliverAt.put(id, now);
                        dueAt.put(id, dueAtNanos);
                        lagRec.recordValue(Math.max(1, (now - dueAtNanos) / 1000));
                        ch.writeAndFlush(new TextWebSocketFrame(frame));
                    });
                }
                LockSupport.parkNanos(200_000);
            }
        }, "rate-clock");
        clock.start();
        Thread.sleep(warmup * 1000L);
        ackRec.getIntervalHistogram();
        deliveryRec.getIntervalHistogram();
        deliveryDueRec.getIntervalHistogram();
        lagRec.getIntervalHistogram();
        TreeMap<Double, Double> nodeBefore = nodeAckBuckets();
        long cpu0 = processCpuNanos();
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
        Histogram ddh = deliveryDueRec.getIntervalHistogram();
        Histogram lh = lagRec.getIntervalHistogram();
        double clientCpu = (processCpuNanos() - cpu0) / 1e9 / secs;
        TreeMap<Double, Double> nodeAfter = nodeAckBuckets();
        running.set(false);
        clock.join();
        ObjectNode out = JSON.createObjectNode();
        out.put("mode", "rate").put("users", users).put("targetPerSecond", perSecond).put("bodyBytes", bodyBytes)
                .put("seconds", Math.round(secs * 10) / 10.0)
                .put("acksPerSecond", Math.round((acks.get() - a0) / secs))
                .put("ackP50Ms", ms(ah.getValueAtPercentile(50))).put("ackP99Ms", ms(ah.getValueAtPercentile(99)))
                .put("ackMaxMs", ms(ah.getMaxValue()))
                .put("deliveryP50Ms", ms(dh.getValueAtPercentile(50))).put("deliveryP99Ms", ms(dh.getValueAtPercentile(99)))
                .put("deliveryP999Ms", ms(dh.getValueAtPercentile(99.9))).put("deliveryMaxMs", ms(dh.getMaxValue()))
                .put("deliveries", delivered.get() - d0).put("nodes", ports.length).put("errors", errors.get())
                .put("deliveryP50FromDueMs", ms(ddh.getValueAtPercentile(50))).put("deliveryP99FromDueMs", ms(ddh.getValueAtPercentile(99)))
                .put("sendLagP99Ms", ms(lh.getValueAtPercentile(99))).put("sendLagMaxMs", ms(lh.getMaxValue()))
                .put("clientCpuCores", Math.round(clientCpu * 100) / 100.0);
        // The nodes' own ack latency over the measured window (their histograms summed: bucket upper bounds).
        out.put("nodeAckP50AtMostMs", bucketQuantile(nodeBefore, nodeAfter, 0.5) * 1000)
                .put("nodeAckP99AtMostMs", bucketQuantile(nodeBefore, nodeAfter, 0.99) * 1000)
                .put("nodeAckP999AtMostMs", bucketQuantile(nodeBefore, nodeAfter, 0.999) * 1000);
        return out;
    }

    /** This process's CPU time (all threads), or 0 where the JVM does not tell. */
    static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : 0;
    }

    private static final Pattern ACK_BUCKET =
            Pattern.compile("^stickyring_chat_ack_latency_seconds_bucket\\{le=\"([^\"]+)\"\\} (\\S+)$");

    /** Cumulative bucket counts of stickyring_chat_ack_latency_seconds summed over all nodes, by upper bound. */
    TreeMap<Double, Double> nodeAckBuckets() throws Exception {
        if (adminPorts.length != ports.length) {
            throw new IllegalArgumentException("--admin-ports (" + o.get("admin-ports") + ") must name one admin port per node port");
        }
        HttpClient client = HttpClient.newHttpClient();
        TreeMap<Double, Double> b = new TreeMap<>();
        for (int port : adminPorts) {
            String text = client.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            for (String line : text.split("\n")) {
                Matcher m = ACK_BUCKET.matcher(line);
                if (m.matches()) {
                    double le = m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1));
                    b.merge(le, Double.parseDouble(m.group(2)), Double::sum);
                }
            }
        }
        return b;
    }

    static double bucketQuantile(TreeMap<Double, Double> before, TreeMap<Double, Double> after, double q) {
        double total = after.lastEntry().getValue() - before.getOrDefault(after.lastKey(), 0.0);
        for (Map.Entry<Double, Double> e : after.entrySet()) {
            if (e.getValue() - before.getOrDefault(e.getKey(), 0.0) >= q * total) {
                return e.getKey();
            }
        }
        return Double.POSITIVE_INFINITY;
    }
}
