package io.stickyring.chat.loadgen;

import io.stickyring.chat.client.ChatClient;
import io.stickyring.chat.client.ChatListener;
import io.stickyring.chat.client.ChatMessage;
import io.stickyring.chat.client.ClientOptions;
import io.stickyring.chat.client.ClientRuntime;
import io.stickyring.chat.client.ConnectionState;
import io.stickyring.chat.client.MemoryOutbox;
import io.stickyring.chat.client.OutboxEntry;
import io.stickyring.chat.client.SendAck;
import io.stickyring.cli.StartupException;
import java.io.PrintStream;
import java.net.URI;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Drives N simulated users, each a {@link ChatClient} with its own WebSocket from its own source
 * IP, through the LB: open-loop sends at a fixed total rate, round-robin over users, into direct
 * pairs or groups. Every body carries "sender:index:nanoTime:" so each recipient measures
 * end-to-end latency and checks, per sender, that it sees every acked message once and in order.
 * Invariant: correctness totals compare what recipients saw against what the nodes acked; the
 * client library's own dedup is counted separately ({@code redeliveriesSuppressed}) so it cannot
 * hide a message stored twice (that shows up as the same client id under two seqs: duplicated).
 */
public final class LoadGenerator {
    private final LoadgenConfig config;
    private final PrintStream progress;
    private final ConcurrentHistogram ackLatency = new ConcurrentHistogram(TimeUnit.MINUTES.toNanos(5), 3);
    private final ConcurrentHistogram e2eLatency = new ConcurrentHistogram(TimeUnit.MINUTES.toNanos(5), 3);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong duplicated = new AtomicLong();
    private final AtomicLong outOfOrder = new AtomicLong();
    private final Map<String, Long> enqueuedAt = new ConcurrentHashMap<>();
    private final Set<String> ackedIds = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> deliveriesById = new ConcurrentHashMap<>();
    private volatile long measureFromNanos = Long.MAX_VALUE / 2 + System.nanoTime();
    private final Set<String> clientIps = ConcurrentHashMap.newKeySet();
    private final Map<Integer, String> lastNode = new ConcurrentHashMap<>();
    // For failure drills: time from losing a connection to the next welcome, and where users moved.
    private final ConcurrentHistogram reconnectTime = new ConcurrentHistogram(TimeUnit.MINUTES.toNanos(5), 3);
    private final Set<Integer> disconnectedUsers = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> moves = new ConcurrentHashMap<>();

    /** Mints each user's token; null = each client logs in with dev login ({@code POST /api/login}). */
    private final java.util.function.Function<String, String> tokens;

    public LoadGenerator(LoadgenConfig config, PrintStream progress) {
        this(config, progress, null);
    }

    /** {@code tokens}: user id to token (e.g. HS256 minted with the cluster's secret); null = dev login. */
    public LoadGenerator(LoadgenConfig config, PrintStream progress, java.util.function.Function<String, String> tokens) {
        this.config = config;
        this.progress = progress;
        this.tokens = tokens;
    }

    /** One simulated user; its receive-side state is touched only on its client's event loop. */
    private final class SimUser implements ChatListener {
        final int index;
        final String name;
        String conv;
        ChatClient client;
        long nextIndex;
        final Set<String> seen = new HashSet<>();
        final Map<String, Long> lastFromSender = new HashMap<>();
        long lostAtNanos;

        SimUser(int index) {
            this.index = index;
            this.name = config.user(index);
        }

        @Override
        public void onMessage(ChatMessage m) {
            int c1 = m.body().indexOf(':');
            int c2 = m.body().indexOf(':', c1 + 1);
            int c3 = m.body().indexOf(':', c2 + 1);
            if (c1 < 0 || c2 < 0 || c3 < 0) {
                return; // not ours
            }
            if (m.from().equals(name)) {
                return; // own echo (other devices); not a delivery
            }
            long now = System.nanoTime();
            if (!seen.add(m.id())) {
                duplicated.incrementAndGet();
                return;
            }
            delivered.incrementAndGet();
            deliveriesById.computeIfAbsent(m.id(), k -> new AtomicInteger()).incrementAndGet();
            long idx = Long.parseLong(m.body().substring(c1 + 1, c2));
            long t0 = Long.parseLong(m.body().substring(c2 + 1, c3));
            if (t0 - measureFromNanos >= 0) {
                e2eLatency.recordValue(Math.max(0, now - t0));
            }
            String key = m.from() + "|" + m.conv();
            Long last = lastFromSender.put(key, idx);
            if (last != null && idx < last) {
                outOfOrder.incrementAndGet();
            }
        }

        @Override
        public void onState(ConnectionState state, io.stickyring.chat.client.ConnectionInfo info) {
            if (state == ConnectionState.RECONNECTING && lostAtNanos == 0) {
                lostAtNanos = System.nanoTime();
                disconnectedUsers.add(index);
            }
            if (state == ConnectionState.CONNECTED) {
                if (info.clientIp() != null) {
                    clientIps.add(info.clientIp());
                }
                if (lostAtNanos != 0) {
                    reconnectTime.recordValue(Math.max(0, System.nanoTime() - lostAtNanos));
                    lostAtNanos = 0;
                    moves.merge(lastNode.getOrDefault(index, "?") + "->" + info.node(), 1L, Long::sum);
                }
                if (info.node() != null) {
                    lastNode.put(index, info.node());
                }
            }
        }

        @Override
        public void onAck(SendAck a) {
            Long t0 = enqueuedAt.remove(a.id());
            if (t0 != null) {
                if (t0 - measureFromNanos >= 0) {
                    ackLatency.recordValue(Math.max(0, System.nanoTime() - t0));
                }
                ackedIds.add(a.id());
                acked.incrementAndGet();
            }
        }

        @Override
        public void onSendFailed(OutboxEntry e, String code, String message) {
            enqueuedAt.remove(e.id());
            failed.incrementAndGet();
        }

        void send() {
            long idx = nextIndex++;
            long now = System.nanoTime();
            String head = index + ":" + idx + ":" + now + ":";
            String body = head + "x".repeat(Math.max(0, config.size() - head.length()));
            String id = java.util.UUID.randomUUID().toString();
            enqueuedAt.put(id, now);
            client.send(id, conv, body);
            sent.incrementAndGet();
        }
    }

    public LoadgenResult run() throws Exception {
        int n = config.users();
        int members = config.shape() == LoadgenConfig.Shape.DIRECT ? 2 : config.groupSize();
        List<SimUser> users = new ArrayList<>(n);
        ips = config.colocateAdmin() == null ? null : colocatedIps(members);
        try (ClientRuntime runtime = ClientRuntime.create(config.threads())) {
            for (int i = 0; i < n; i++) {
                SimUser u = new SimUser(i);
                LoadgenConfig.TransportSpec ts = config.transport();
                ClientOptions o = ClientOptions.builder(config.url(), u.name)
                        .transport(switch (ts.mode()) {
                            case WS -> ClientOptions.TransportMode.WEBSOCKET;
                            case LONGPOLL -> ClientOptions.TransportMode.LONG_POLL;
                            case POLL -> ClientOptions.TransportMode.POLL;
                        })
                        .pollInterval(ts.pollInterval()).pollWait(ts.pollWait()).keepAlive(ts.keepAlive())
                        .localAddress(InetAddress.getByName(ip(i)))
                        .token(tokens == null ? null : tokens.apply(u.name)).devLogin(tokens == null)
                        .backoff(Duration.ofMillis(100), Duration.ofSeconds(5)).build();
                u.client = ChatClient.start(runtime, o, new MemoryOutbox(), u);
                users.add(u);
            }
            try {
                return drive(users, members, runtime);
            } finally {
                for (SimUser u : users) {
                    u.client.close();
                }
            }
        }
    }

    /**
     * Fails at once, naming the URL and the reason, when nothing accepts connections there (the users'
     * clients would otherwise retry with backoff until --connect-timeout and end FAILED without one).
     * The command checks this before {@link #run}; a target lost during a run is reported by run().
     */
    public static void requireReachable(URI url, Duration connectTimeout) {
        int port = url.getPort() != -1 ? url.getPort() : "https".equals(url.getScheme()) || "wss".equals(url.getScheme()) ? 443 : 80;
        int timeout = (int) Math.min(connectTimeout.toMillis(), 5_000);
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(url.getHost(), port), timeout);
        } catch (java.io.IOException e) {
            throw new StartupException(StartupException.ENVIRONMENT, "--url (" + url + "): cannot connect: "
                    + StartupException.reason(e), e);
        }
    }

    private String[] ips;

    private String ip(int i) {
        return ips == null ? config.sourceIp(i) : ips[i];
    }

    /**
     * Source IPs in user order such that each block of {@code members} consecutive users (one
     * conversation) maps to one node: candidates are bucketed by the LB's {@code /lookup} answer
     * and a bucket is emitted whenever it holds a full conversation.
     */
    String[] colocatedIps(int members) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        Map<String, List<String>> buckets = new HashMap<>();
        List<String> out = new ArrayList<>();
        int n = config.users();
        for (int k = 0; out.size() < n; k++) {
            if (k >= 4 * n) {
                throw new IllegalStateException("could not colocate " + n + " users in " + k + " candidate IPs: " + buckets.keySet());
            }
            String ip = config.sourceIp(k);
            java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                    config.colocateAdmin().resolve("/lookup?ip=" + ip)).timeout(Duration.ofSeconds(10)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("LB lookup of " + ip + ": HTTP " + r.statusCode() + " " + r.body());
            }
            com.fasterxml.jackson.databind.JsonNode m = json.readTree(r.body()).path("member");
            String node = m.isObject() ? m.path("id").asText() : m.asText();
            List<String> b = buckets.computeIfAbsent(node, x -> new ArrayList<>());
            b.add(ip);
            if (b.size() == members) {
                out.addAll(b);
                b.clear();
            }
        }
        progress.printf(Locale.ROOT, "colocated %d users (conversations of %d) on %d nodes via %s%n", n, members,
                buckets.size(), config.colocateAdmin());
        return out.toArray(String[]::new);
    }

    private LoadgenResult drive(List<SimUser> users, int members, ClientRuntime runtime) throws Exception {
        int n = users.size();
        long connectDeadline = System.nanoTime() + config.connectTimeout().toNanos();
        while (connected(users) < n && System.nanoTime() < connectDeadline) {
            progress.printf(Locale.ROOT, "connecting: %d/%d%n", connected(users), n);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
        }
        int connectFailures = n - connected(users);
        // Conversations.
        if (config.shape() == LoadgenConfig.Shape.DIRECT) {
            for (int i = 0; i < n; i += 2) {
                String a = users.get(i).name;
                String b = users.get(i + 1).name;
                String conv = "dm:" + (a.compareTo(b) < 0 ? a + ":" + b : b + ":" + a);
                users.get(i).conv = conv;
                users.get(i + 1).conv = conv;
            }
        } else {
            List<CompletableFuture<String>> groups = new ArrayList<>();
            for (int g = 0; g < n; g += members) {
                List<String> others = new ArrayList<>();
                for (int j = g + 1; j < g + members; j++) {
                    others.add(users.get(j).name);
                }
                groups.add(users.get(g).client.createGroup(others, config.prefix() + "-g" + g / members));
            }
            for (int g = 0; g < groups.size(); g++) {
                String id = groups.get(g).get(60, TimeUnit.SECONDS);
                for (int j = g * members; j < (g + 1) * members; j++) {
                    users.get(j).conv = id;
                }
            }
        }
        progress.printf(Locale.ROOT, "connected %d/%d users; sending %.0f msg/s of %d bytes for %s%n", connected(users), n,
                config.rate(), config.size(), config.duration());

        Map<String, Long> wireBefore = runtime.stats().snapshot();
        long sendStart = System.nanoTime();
        measureFromNanos = sendStart + config.warmup().toNanos();
        long sendEnd = sendStart + config.duration().toNanos();
        long nextProgress = sendStart + config.progressEvery().toNanos();
        long count = 0;
        while (true) {
            long now = System.nanoTime();
            if (now >= sendEnd) {
                break;
            }
            long due = (long) (config.rate() * (now - sendStart) / 1e9);
            while (count < due) {
                users.get((int) (count % n)).send();
                count++;
            }
            if (now >= nextProgress) {
                progressLine(users, now - sendStart, members);
                nextProgress += config.progressEvery().toNanos();
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
        double sendSeconds = (System.nanoTime() - sendStart) / 1e9;
        Map<String, Long> wireAtSendEnd = runtime.stats().snapshot();
        // Drain: every outbox empty and every acked message seen by every other member.
        long drainDeadline = System.nanoTime() + config.drainTimeout().toNanos();
        while (System.nanoTime() < drainDeadline) {
            if (pending(users) == 0 && delivered.get() + duplicated.get() >= acked.get() * (members - 1)) {
                break;
            }
            progressLine(users, System.nanoTime() - sendStart, members);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
        }
        long lost = 0;
        for (String id : ackedIds) {
            AtomicInteger d = deliveriesById.get(id);
            lost += Math.max(0, members - 1 - (d == null ? 0 : d.get()));
        }
        long reconnects = 0;
        long suppressed = 0;
        for (SimUser u : users) {
            reconnects += Math.max(0, u.client.connects() - 1);
            suppressed += u.client.duplicatesDropped();
        }
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("url", config.url().toString());
        cfg.put("users", config.users());
        cfg.put("rate", config.rate());
        cfg.put("size", config.size());
        cfg.put("shape", config.shape().name().toLowerCase(Locale.ROOT));
        if (config.shape() == LoadgenConfig.Shape.GROUP) {
            cfg.put("group_size", config.groupSize());
        }
        cfg.put("duration_s", config.duration().toMillis() / 1000.0);
        cfg.put("latency_warmup_s", config.warmup().toMillis() / 1000.0);
        cfg.put("source_ips", ips == null ? config.sourceIp(0) + ".." + config.sourceIp(config.users() - 1)
                : config.users() + " distinct in 127." + config.ipBase() + ".0.0/16, colocated by " + config.colocateAdmin());
        Map<String, Long> perNode = new java.util.TreeMap<>();
        lastNode.values().forEach(nd -> perNode.merge(nd, 1L, Long::sum));
        cfg.put("distinct_client_ips_seen_by_nodes", clientIps.size());
        cfg.put("users_per_node", perNode);
        cfg.put("users_disconnected", disconnectedUsers.size());
        cfg.put("reconnect_ms", percentiles(reconnectTime));
        cfg.put("moves", new java.util.TreeMap<>(moves));
        cfg.put("transport", config.transport().label());
        cfg.put("wire", wireCosts(wireBefore, wireAtSendEnd, runtime.stats().snapshot(), sent.get()));
        return new LoadgenResult(cfg, sent.get(), acked.get(), pending(users), failed.get(),
                acked.get() * (members - 1), delivered.get(), lost, duplicated.get(), outOfOrder.get(), suppressed,
                reconnects, connectFailures, sendSeconds, acked.get() / sendSeconds, percentiles(ackLatency),
                percentiles(e2eLatency));
    }

    private void progressLine(List<SimUser> users, long elapsedNanos, int members) {
        long reconnects = 0;
        for (SimUser u : users) {
            reconnects += Math.max(0, u.client.connects() - 1);
        }
        progress.printf(Locale.ROOT, "t=%5.1fs sent=%d acked=%d pending=%d delivered=%d/%d connected=%d reconnects=%d"
                        + " ack-p99=%.1fms e2e-p99=%.1fms%n", elapsedNanos / 1e9, sent.get(), acked.get(), pending(users),
                delivered.get(), acked.get() * (members - 1), connected(users), reconnects,
                ackLatency.getValueAtPercentile(99) / 1e6, e2eLatency.getValueAtPercentile(99) / 1e6);
    }

    private static int connected(List<SimUser> users) {
        int c = 0;
        for (SimUser u : users) {
            if (u.client.state() == ConnectionState.CONNECTED) {
                c++;
            }
        }
        return c;
    }

    private static long pending(List<SimUser> users) {
        long p = 0;
        for (SimUser u : users) {
            p += u.client.pendingCount();
        }
        return p;
    }

    /**
     * What the sends cost on the wire, from the clients' own counters: totals over the send phase
     * (connection set-up before it excluded, the drain after it included, since deliveries of the
     * last messages belong to it) and per message sent.
     */
    static Map<String, Object> wireCosts(Map<String, Long> before, Map<String, Long> sendEnd, Map<String, Long> after, long sent) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String k : after.keySet()) {
            long d = after.get(k) - before.get(k);
            m.put(k, d);
        }
        double n = Math.max(1, sent);
        m.put("tcp_connections_per_msg", ((long) m.get("tcp_connections")) / n);
        m.put("http_requests_per_msg", ((long) m.get("http_requests")) / n);
        long polls = (long) m.get("polls");
        m.put("empty_poll_share", polls == 0 ? 0.0 : ((long) m.get("empty_polls")) / (double) polls);
        m.put("bytes_per_msg", ((long) m.get("bytes_out") + (long) m.get("bytes_in")) / n);
        m.put("tcp_connections_during_send", sendEnd.get("tcp_connections") - before.get("tcp_connections"));
        return m;
    }

    private static Map<String, Double> percentiles(Histogram h) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("count", (double) h.getTotalCount());
        m.put("p50", h.getValueAtPercentile(50) / 1e6);
        m.put("p90", h.getValueAtPercentile(90) / 1e6);
        m.put("p99", h.getValueAtPercentile(99) / 1e6);
        m.put("p99.9", h.getValueAtPercentile(99.9) / 1e6);
        m.put("max", h.getMaxValue() / 1e6);
        return m;
    }

}
