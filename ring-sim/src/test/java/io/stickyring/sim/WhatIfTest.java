package io.stickyring.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.net.InetAddresses;
import com.sun.net.httpserver.HttpServer;
import io.stickyring.ring.ClientKeys;
import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.HashAlgorithm;
import io.stickyring.ring.Node;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `sim whatif` against a fake LB admin API (JDK HttpServer on port 0) serving /members in the LB's
 * format and a /connections export; the predicted moves are checked connection by connection
 * against the production algorithm and key function evaluated directly.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WhatIfTest {

    private HttpServer server;
    private final Map<String, String> routes = new ConcurrentHashMap<>();
    private final List<String> authHeaders = new ArrayList<>();
    private String base;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            synchronized (authHeaders) {
                authHeaders.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            }
            String body = routes.get(ex.getRequestURI().getPath());
            byte[] b = (body == null ? "{\"error\":\"no endpoint\"}" : body).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(body == null ? 404 : 200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static final List<String> IDS = List.of("m000", "m001", "m002", "m003", "m004");

    private static String members(String algorithm) {
        StringBuilder sb = new StringBuilder("{\"version\":42,\"stale\":false,\"algorithm\":\"" + algorithm + "\",\"members\":[");
        for (int i = 0; i < IDS.size(); i++) {
            String state = i == 4 ? "DRAINING" : "ACTIVE";
            sb.append(i == 0 ? "" : ",").append("{\"id\":\"").append(IDS.get(i)).append("\",\"address\":\"127.0.0.1:")
                    .append(9000 + i).append("\",\"weight\":1,\"state\":\"").append(state)
                    .append("\",\"connections\":10,\"share\":0.25,\"zone\":null}");
        }
        return sb.append("]}").toString();
    }

    /** 2000 client IPs with their current member computed the LB's way (ACTIVE members only). */
    private static List<String[]> clients(ConsistentHash now) {
        SplittableRandom rnd = new SplittableRandom(77);
        List<String[]> out = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            String ip = "10." + rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + rnd.nextInt(1, 255);
            out.add(new String[] {ip, now.owner(ClientKeys.address().key(InetAddresses.forString(ip))).id()});
        }
        return out;
    }

    @Test
    void predictsExactlyTheConnectionsThatMove(@TempDir Path dir) throws Exception {
        List<Node> active = IDS.subList(0, 4).stream().map(Node::of).toList();
        ConsistentHash now = HashAlgorithm.RING.build(active);
        List<String[]> clients = clients(now);
        StringBuilder csv = new StringBuilder("ip,member\n");
        clients.forEach(c -> csv.append(c[0]).append(',').append(c[1]).append('\n'));
        routes.put("/members", members("ring"));
        routes.put("/connections", csv.toString());

        Path moves = dir.resolve("moves.csv");
        CliTest.Run r = CliTest.sim("whatif", "--lb", base + "/", "--remove", "m001", "--add", "m009=127.0.0.1:9009",
                "--csv", moves.toString(), "--token", "s3cret");
        assertThat(r.code()).as(r.err()).isZero();

        // Ground truth: the production ring over the proposed members, keyed the LB's way.
        List<Node> proposed = List.of(Node.of("m000"), Node.of("m002"), Node.of("m003"), Node.of("m009"));
        ConsistentHash after = HashAlgorithm.RING.build(proposed);
        List<String> expected = new ArrayList<>();
        for (String[] c : clients) {
            String to = after.owner(ClientKeys.address().key(InetAddresses.forString(c[0]))).id();
            if (!to.equals(c[1])) {
                String why = c[1].equals("m001") ? "removed" : to.equals("m009") ? "to-new" : "rebalanced";
                expected.add(c[0] + ",1," + c[1] + "," + to + "," + why);
            }
        }
        List<String> got = Files.readAllLines(moves);
        assertThat(got.get(0)).isEqualTo("ip,count,from,to,reason");
        assertThat(got.subList(1, got.size())).containsExactlyElementsOf(expected);
        // Ring: every move is forced (from the removed member or to the new one), about 1/4 + 1/4 * 3/4.
        assertThat(expected).noneMatch(l -> l.endsWith("rebalanced"));
        assertThat(expected.size()).isBetween(700, 1050);
        assertThat(r.out()).contains("view version 42", "live connections moved: " + expected.size() + " of 2000",
                "ring now   : [m000, m001, m002, m003]");
        assertThat(r.out()).doesNotContain("warning").doesNotContain("LB's own /whatif");
        // When the LB answers /whatif, its own estimate is printed next to ours.
        routes.put("/whatif", "{\"ringBefore\":[],\"ringAfter\":[],\"keySpaceMoved\":0.4321,"
                + "\"liveConnectionsRemapped\":7,\"liveConnectionsOnRemoved\":9,\"samples\":100000}");
        CliTest.Run withLb = CliTest.sim("whatif", "--lb", base, "--remove", "m001", "--add", "m009=127.0.0.1:9009",
                "--token", "s3cret");
        assertThat(withLb.out()).contains("LB's own /whatif: key space moved 43.21%, live connections on removed 9, remapped 7");
        synchronized (authHeaders) {
            assertThat(authHeaders).isNotEmpty().allMatch(h -> h.equals("Bearer s3cret"));
        }
    }

    @Test
    void usesTheAlgorithmTheLbReportsAndFlagsMismatches(@TempDir Path dir) throws Exception {
        routes.put("/members", members("maglev"));
        // Two connections recorded on members the model would not pick: both are reported as mismatches.
        ConsistentHash now = HashAlgorithm.MAGLEV.build(IDS.subList(0, 4).stream().map(Node::of).toList());
        List<String[]> clients = clients(now).subList(0, 2);
        String wrong0 = clients.get(0)[1].equals("m000") ? "m002" : "m000";
        String wrong1 = clients.get(1)[1].equals("m000") ? "m002" : "m000";
        Path conns = dir.resolve("c.csv");
        Files.writeString(conns, clients.get(0)[0] + "," + wrong0 + "\n" + clients.get(1)[0] + "," + wrong1 + "\n");
        CliTest.Run r = CliTest.sim("whatif", "--lb", base, "--connections", conns.toString(), "--drain", "m003");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("algorithm maglev", "warning: 2 connections");
    }

    @Test
    void withoutAConnectionsExportItStillReportsTheKeySpace() {
        routes.put("/members", members("rendezvous"));
        CliTest.Run r = CliTest.sim("whatif", "--lb", base, "--add", "m009=127.0.0.1:9009");
        assertThat(r.code()).as(r.err()).isZero();
        // Rendezvous: adding a 5th equal member to 4 moves 1/5 of the key space, the ideal.
        assertThat(r.out()).contains("ideal minimum 20.00%", "live connections: none listed");
        assertThat(r.out()).containsPattern("key space moved: (19\\.[89]\\d|20\\.[01]\\d)%");
    }

    /**
     * Issue 16: an idle LB answers /connections with the LB's own empty export (the body of
     * ConnectionsExport with no connections); whatif used to exit 2 on it. Now it predicts the
     * members' key-space shares, and the weight given as /W (the LB's syntax) counts.
     */
    @Test
    void idleLbPredictsSharesFromMembersAndHonoursSlashWeight() {
        routes.put("/members", members("rendezvous"));
        routes.put("/connections", "{\"connections\":[],\"count\":0}\n");
        CliTest.Run r = CliTest.sim("whatif", "--lb", base, "--add", "m009=127.0.0.1:9009/4");
        assertThat(r.code()).as(r.err()).isZero();
        // 4 ACTIVE of weight 1 + m009 of weight 4: rendezvous gives 50% to m009, 12.5% to each other.
        assertThat(r.out()).contains("live connections: none listed", "share after")
                .containsPattern("m009 +0\\.00% +50\\.00% +\\+50\\.00 pp")
                .containsPattern("m000 +25\\.00% +12\\.50%");
        routes.put("/connections", "ip,member\n");
        assertThat(CliTest.sim("whatif", "--lb", base, "--remove", "m000").code()).isZero();
        CliTest.Run old = CliTest.sim("whatif", "--lb", base, "--add", "m009=127.0.0.1:9009@4");
        assertThat(old.code()).isEqualTo(2);
        assertThat(old.err()).contains("--add (m009=127.0.0.1:9009@4): '@WEIGHT' is no longer accepted; write ID=HOST:PORT[/WEIGHT], e.g. m009=127.0.0.1:9009/4");
    }

    @Test
    void runMemberSyntaxIsSlashWeightAndZoneOption() {
        CliTest.Run old = CliTest.sim("run", "--member", "a=2@east,b", "-a", "ring", "-w", "ipv4:n=100", "--no-progress");
        assertThat(old.code()).isEqualTo(2);
        assertThat(old.err()).contains("member 'a=2@east': write ID/WEIGHT:zone=ZONE");
        CliTest.Run ok = CliTest.sim("run", "--member", "a/3,b", "-a", "rendezvous", "-w", "ipv4:n=20000", "-e", "fail:a",
                "--no-progress", "--no-memory");
        assertThat(ok.code()).as(ok.err()).isZero();
        // a holds 3/4 of the key space: failing it moves 75%.
        assertThat(ok.out()).contains("75.00%");
    }

    @Test
    void keysClientsWithTheLbsPrefixFlags(@TempDir Path dir) throws Exception {
        routes.put("/members", members("ring"));
        ConsistentHash now = HashAlgorithm.RING.build(IDS.subList(0, 4).stream().map(Node::of).toList());
        ClientKeys lbKeys = ClientKeys.prefix(16, 64);
        StringBuilder csv = new StringBuilder();
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < 50; i++) {
            String ip = "10.7." + rnd.nextInt(256) + "." + rnd.nextInt(1, 255);
            csv.append(ip).append(',').append(now.owner(lbKeys.key(InetAddresses.forString(ip))).id()).append('\n');
        }
        Path conns = dir.resolve("c.csv");
        Files.writeString(conns, csv);
        String owner = now.owner(lbKeys.key(InetAddresses.forString("10.7.0.0"))).id();
        // Remove the /16's member: with the LB's flags every one of its 50 clients moves, and no mismatch.
        CliTest.Run r = CliTest.sim("whatif", "--lb", base, "--connections", conns.toString(), "--remove", owner,
                "--key-mode", "prefix", "--prefix-v4", "16");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("live connections moved: 50 of 50").doesNotContain("warning");
        // Keyed by whole address instead, the recorded members disagree with the model: the run says so.
        CliTest.Run a = CliTest.sim("whatif", "--lb", base, "--connections", conns.toString(), "--remove", owner);
        assertThat(a.out()).contains("warning:");
    }

    @Test
    void runTakesItsClusterFromTheLbsMembers(@TempDir Path dir) throws Exception {
        routes.put("/members", members("ring"));
        Path json = dir.resolve("r.json");
        CliTest.Run r = CliTest.sim("run", "--lb-members", base, "-a", "rendezvous", "-w", "ipv4:n=20000", "-e", "fail:m000",
                "--no-progress", "--json", json.toString());
        assertThat(r.code()).as(r.err()).isZero();
        com.fasterxml.jackson.databind.JsonNode events = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(json.toFile()).get("events");
        // m004 is DRAINING on the LB: it starts out of the ring, so the ring is m000..m003, then 3 after the failure.
        assertThat(events.get(0).get("ringMembers").asInt()).isEqualTo(4);
        assertThat(events.get(1).get("ringMembers").asInt()).isEqualTo(3);
        assertThat(events.get(1).get("ideal").asDouble()).isEqualTo(0.25, org.assertj.core.api.Assertions.within(1e-12));
        Path saved = dir.resolve("members.json");
        Files.writeString(saved, members("ring"));
        CliTest.Run f = CliTest.sim("run", "--lb-members", saved.toString(), "-a", "ring", "-w", "ipv4:n=1000",
                "-e", "drain:m004", "--no-progress");
        assertThat(f.code()).isNotZero();
        assertThat(f.err()).contains("member 'm004' is not in the ring");
    }

    @Test
    void badChangesAndUnreachableLbAreReported() throws Exception {
        routes.put("/members", members("ring"));
        assertThat(CliTest.sim("whatif", "--lb", base, "--remove", "nope").err()).contains("--remove: no member 'nope'");
        assertThat(CliTest.sim("whatif", "--lb", base, "--add", "m000=1.2.3.4:5").err()).contains("'m000' already exists");
        assertThat(CliTest.sim("whatif", "--lb", base).err()).contains("no change given");
        routes.put("/members", "{\"oops\":1}");
        assertThat(CliTest.sim("whatif", "--lb", base, "--remove", "m000").err()).contains("expected {\"version\"");
        server.stop(0);
        CliTest.Run down = CliTest.sim("whatif", "--lb", base, "--remove", "m000", "--timeout", "2s");
        assertThat(down.code()).isNotZero();
        assertThat(down.err()).contains("GET " + base + "/members failed");
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0); // for @AfterEach
    }

    @Test
    void timeoutIsADurationAndBoundsASilentLb() throws Exception {
        assertThat(CliTest.sim("whatif", "--lb", base, "--remove", "m000", "--timeout", "2").err())
                .contains("'2' needs a unit, e.g. 2ms or 2s");
        assertThat(CliTest.sim("whatif", "--lb", base, "--remove", "m000", "--timeout", "0").err())
                .contains("--timeout (0): must be longer than 0");
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            String url = "http://127.0.0.1:" + silent.getLocalPort();
            CliTest.Run r = CliTest.sim("whatif", "--lb", url, "--remove", "m000", "--timeout", "300ms");
            assertThat(r.code()).isNotZero();
            assertThat(r.err()).contains("GET " + url + "/members failed").containsIgnoringCase("timed out");
        }
    }
}
