package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stickyring.chat.server.ChatNode;
import io.stickyring.chat.server.NodeConfig;
import io.stickyring.lb.LoadBalancer;
import io.stickyring.cli.HostPort;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.route.HashFactories;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.source.Membership;
import io.stickyring.membership.zk.ZkSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drill 4 of issue 9: two LBs on one 3-server ZooKeeper ensemble agree on every client's node;
 * losing one server changes nothing; losing the quorum leaves both LBs routing with the last view
 * (ready, but stale); restarting the servers resyncs both.
 *
 * <p>The ensemble is three real {@code stickyring zk --server-id N --ensemble ...} child JVMs
 * (so this also tests the command's ensemble mode), the LBs run in-process
 * ({@link LoadBalancer#start}), the chat nodes in-process ({@link ChatNode}, SQLite, one file each).
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ZkEnsembleDrillTest {

    private static final int IPS = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final List<ZkServer> zks = new ArrayList<>();
    private final List<ChatNode> nodes = new ArrayList<>();
    private final List<LoadBalancer> lbs = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void cleanUp() {
        lbs.forEach(LoadBalancer::close);
        nodes.forEach(ChatNode::close);
        zks.forEach(ZkServer::stop);
    }

    @Test
    void twoLbsAgreeAndKeepTheirLastViewThroughAZooKeeperQuorumLoss() throws Exception {
        String ensemble = ensembleSpec(3);
        for (int id = 1; id <= 3; id++) {
            zks.add(new ZkServer(id, ensemble, dir.resolve("zk" + id)));
        }
        zks.forEach(ZkServer::start);
        String connect = zks.get(0).awaitEnsembleLine();
        zks.get(1).awaitEnsembleLine();
        zks.get(2).awaitEnsembleLine();

        byte[] secret = "drill-secret-0123456789abcdef-0123456789".getBytes(StandardCharsets.UTF_8);
        for (int i = 1; i <= 3; i++) {
            Path store = dir.resolve("n" + i).resolve("chat.db");
            store.getParent().toFile().mkdirs();
            NodeConfig cfg = NodeConfig.defaults("127.0.0.1", 0, "n" + i, "sqlite:" + store, secret).with(b -> {
                b.zk = connect;
                b.cluster = "drill";
                b.ioThreads = 1;
                b.blockingThreads = 2;
            }).build();
            nodes.add(ChatNode.start(cfg));
        }
        for (int i = 0; i < 2; i++) {
            LbConfig.Builder b = LbConfig.builder();
            b.listen = new HostPort("127.0.0.1", 0);
            b.admin = new HostPort("127.0.0.1", 0);
            b.zk = connect;
            b.cluster = "drill";
            b.ioThreads = 1;
            b.acceptThreads = 1;
            b.shutdownGrace = Duration.ZERO;
            LbConfig cfg = b.build();
            lbs.add(LoadBalancer.start(cfg, Membership.zooKeeper(ZkSettings.of(connect, "drill")), HashFactories.defaults(),
                    KeyFunctions.of(cfg.keyMode(), cfg.prefixV4(), cfg.prefixV6())));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> view(0).members.size() == 3 && view(1).members.size() == 3
                && view(0).version == view(1).version);

        // 1. Healthy ensemble: both LBs answer /lookup identically.
        View before = view(0);
        List<String> owners = lookups(0);
        int mismatches = mismatches(owners, lookups(1));
        System.out.printf("drill4 healthy: ips=%d mismatches=%d version=0x%x members=%s%n", IPS, mismatches, before.version, before.members);
        assertThat(mismatches).isZero();
        assertThat(new HashSet<>(owners)).containsExactlyInAnyOrderElementsOf(before.members);

        // 2. One server down, the leader (the harder case: the other two elect a new one and every
        //    client of theirs reconnects): no view version or member list changes.
        int leader = -1;
        for (int i = 0; i < 3; i++) {
            if (zks.get(i).mode().equals("leader")) {
                leader = i;
            }
        }
        assertThat(leader).as("one of the three servers says Mode: leader").isNotNegative();
        ZkServer first = zks.get(leader);
        ZkServer second = zks.get((leader + 1) % 3);
        first.stop();
        try (var c = client(connect)) {
            assertThat(c.create().forPath("/drill-one-down", new byte[0])).isNotNull(); // two of three still commit
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> !view(0).stale && !view(1).stale);
        for (int lb = 0; lb < 2; lb++) {
            View v = view(lb);
            assertThat(v.version).as("lb %d version after one server stopped", lb).isEqualTo(before.version);
            assertThat(v.members).isEqualTo(before.members);
        }
        int oneDownMismatches = mismatches(owners, lookups(1)) + mismatches(owners, lookups(0));
        System.out.printf("drill4 one server down (leader, server %d): ips=%d mismatches=%d versions=0x%x/0x%x%n", first.id, IPS, oneDownMismatches, view(0).version, view(1).version);
        assertThat(oneDownMismatches).isZero();

        // 3. Quorum lost: both LBs keep routing with the last view, ready, stale in /members and metrics.
        second.stop();
        await().atMost(Duration.ofSeconds(30)).until(() -> view(0).stale && view(1).stale
                && metric(0, "stickyring_lb_view_stale") == 1.0 && metric(1, "stickyring_lb_view_stale") == 1.0);
        for (int lb = 0; lb < 2; lb++) {
            HttpResponse<String> ready = get(lb, "/readyz");
            assertThat(ready.statusCode()).as("lb %d /readyz without quorum", lb).isEqualTo(200);
            assertThat(JSON.readTree(ready.body()).get("ready").asBoolean()).isTrue();
            View v = view(lb);
            assertThat(v.version).isEqualTo(before.version);
            assertThat(v.members).isEqualTo(before.members);
        }
        int lostMismatches = mismatches(owners, lookups(0)) + mismatches(owners, lookups(1));
        int landed = 0;
        int wrong = 0;
        for (int i = 0; i < 40; i++) {
            String ip = ip(i * 250);
            String node = nodeThroughLb(i % 2, ip);
            landed++;
            if (!node.equals(owners.get(i * 250))) {
                wrong++;
            }
        }
        System.out.printf("drill4 quorum lost: ips=%d lookup-mismatches=%d new-connections=%d landed-elsewhere=%d versions=0x%x/0x%x stale=%s/%s%n",
                IPS, lostMismatches, landed, wrong, view(0).version, view(1).version, view(0).stale, view(1).stale);
        assertThat(lostMismatches).isZero();
        assertThat(wrong).isZero();

        // 4. Servers back: views resync, stale clears, both LBs agree again.
        first.start();
        second.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            View a = view(0);
            View b = view(1);
            return !a.stale && !b.stale && a.version == b.version && a.members.equals(before.members) && b.members.equals(before.members)
                    && metric(0, "stickyring_lb_view_stale") == 0.0 && metric(1, "stickyring_lb_view_stale") == 0.0;
        });
        View after = view(0);
        List<String> ownersAfter = lookups(0);
        int afterMismatches = mismatches(ownersAfter, lookups(1));
        int moved = mismatches(owners, ownersAfter);
        System.out.printf("drill4 restored: ips=%d mismatches=%d moved-since-start=%d version before=0x%x after=0x%x members=%s%n",
                IPS, afterMismatches, moved, before.version, after.version, after.members);
        assertThat(afterMismatches).isZero();
        assertThat(moved).isZero();
    }

    private record View(long version, boolean stale, List<String> members) { }

    private View view(int lb) throws Exception {
        JsonNode root = JSON.readTree(get(lb, "/members").body());
        List<String> ids = new ArrayList<>();
        root.get("members").forEach(m -> ids.add(m.get("id").asText()));
        return new View(root.get("version").asLong(), root.get("stale").asBoolean(), ids);
    }

    private double metric(int lb, String name) throws Exception {
        for (String line : get(lb, "/metrics").body().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        return Double.NaN;
    }

    private HttpResponse<String> get(int lb, String path) throws Exception {
        InetSocketAddress admin = lbs.get(lb).adminAddress();
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.getPort() + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Client IPs 127.1.x.y: the n-th of them. */
    private static String ip(int n) {
        return "127.1." + (n >> 8) + "." + (n & 255);
    }

    /** {@code /lookup} owner of each of the {@link #IPS} addresses, 64 requests in flight. */
    private List<String> lookups(int lb) throws Exception {
        InetSocketAddress admin = lbs.get(lb).adminAddress();
        String[] owners = new String[IPS];
        for (int start = 0; start < IPS; start += 64) {
            List<CompletableFuture<Void>> batch = new ArrayList<>();
            for (int i = start; i < Math.min(IPS, start + 64); i++) {
                int n = i;
                HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.getPort() + "/lookup?ip=" + ip(n)))
                        .timeout(Duration.ofSeconds(10)).build();
                batch.add(http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).thenAccept(r -> {
                    try {
                        owners[n] = r.statusCode() == 200 ? JSON.readTree(r.body()).get("member").asText() : "status " + r.statusCode();
                    } catch (IOException e) {
                        owners[n] = "unreadable " + e;
                    }
                }));
            }
            CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }
        return List.of(owners);
    }

    private static int mismatches(List<String> a, List<String> b) {
        int n = 0;
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).equals(b.get(i))) {
                n++;
            }
        }
        return n;
    }

    /** A new TCP connection from {@code ip} through the LB: the node's answer to {@code GET /api/poll} names the node it landed on. */
    private String nodeThroughLb(int lb, String ip) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(ip), 0));
            s.connect(lbs.get(lb).proxyAddress(), 5000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /api/poll?cursor=0&wait=0 HTTP/1.1\r\nHost: drill\r\nAuthorization: Bearer " + nodes.get(0).tokens().issue("drill")
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            JsonNode body = JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
            return body.get("node").asText();
        }
    }

    private static org.apache.curator.framework.CuratorFramework client(String connect) throws InterruptedException {
        var c = org.apache.curator.framework.CuratorFrameworkFactory.newClient(connect, 5000, 5000,
                new org.apache.curator.retry.RetryNTimes(20, 500));
        c.start();
        assertThat(c.blockUntilConnected(30, TimeUnit.SECONDS)).isTrue();
        return c;
    }

    /** {@code h:peer:election:client,...} with free loopback ports. */
    private static String ensembleSpec(int servers) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < servers; i++) {
                sb.append(i == 0 ? "" : ",").append("127.0.0.1");
                for (int p = 0; p < 3; p++) {
                    ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                    held.add(s);
                    sb.append(':').append(s.getLocalPort());
                }
            }
            return sb.toString();
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    /** One {@code stickyring zk --server-id N --ensemble ...} child JVM that can be stopped (SIGTERM) and started again on its data. */
    private static final class ZkServer {
        final int id;
        final String ensemble;
        final Path data;
        volatile Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> seen = new CopyOnWriteArrayList<>();

        ZkServer(int id, String ensemble, Path data) {
            this.id = id;
            this.ensemble = ensemble;
            this.data = data;
        }

        void start() {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "zk",
                    "--server-id", Integer.toString(id), "--ensemble", ensemble, "--data", data.toString(), "--tick-time", "500ms"));
            pb.redirectErrorStream(true);
            try {
                process = pb.start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot start zk server " + id, e);
            }
            Process p = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // process gone
                }
            }, "zk" + id + "-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        String awaitEnsembleLine() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                String line = lines.poll(1, TimeUnit.SECONDS);
                if (line != null) {
                    seen.add(line);
                    if (line.startsWith("ensemble=")) {
                        return line.substring("ensemble=".length());
                    }
                }
            }
            throw new AssertionError("zk server " + id + " printed no ensemble= line; alive " + process.isAlive() + ", output:\n" + String.join("\n", seen));
        }

        /** "leader", "follower" or "standalone" from ZooKeeper's {@code srvr} four-letter command (allowed by default). */
        String mode() throws IOException {
            String[] self = ensemble.split(",")[id - 1].split(":");
            try (Socket s = new Socket(self[0], Integer.parseInt(self[3]))) {
                s.setSoTimeout(5000);
                s.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
                for (String line : new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    if (line.startsWith("Mode: ")) {
                        return line.substring("Mode: ".length()).trim();
                    }
                }
            }
            return "unknown";
        }

        void stop() {
            Process p = process;
            if (p == null || !p.isAlive()) {
                return;
            }
            try {
                p.destroy();
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
