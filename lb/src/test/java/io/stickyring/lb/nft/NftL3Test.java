package io.stickyring.lb.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stickyring.lb.support.L3Topology;
import io.stickyring.lb.support.TestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import io.stickyring.membership.Member;
import io.stickyring.membership.zk.ZkMemberRegistration;
import io.stickyring.membership.zk.ZkSettings;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code stickyring lb --dataplane nft} end to end in namespaces built per test (see L3Topology):
 * the kernel forwards, the LB process only keeps the slot table and conntrack in line with the ring.
 */
@Timeout(120)
class NftL3Test {

    static final ObjectMapper JSON = new ObjectMapper();
    static final int CLIENTS = 200;

    private L3Topology topo;
    private final List<TestClient> clients = new ArrayList<>();

    @AfterEach
    void cleanup() throws Exception {
        for (TestClient c : clients) {
            c.close();
        }
        if (topo != null) {
            topo.close();
        }
    }

    private List<TestClient> connectAll(int count) throws Exception {
        List<TestClient> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            TestClient c = new TestClient(topo.clientIp(i), topo.vipAddress());
            clients.add(c);
            out.add(c);
        }
        return out;
    }

    static String lookup(L3Topology.Lb lb, String ip) throws Exception {
        return JSON.readTree(lb.get("/lookup?ip=" + ip)).path("member").asText();
    }

    @Test
    void backendsSeeTheRealClientAndEachAddressLandsWhereLookupSaysEveryTime() throws Exception {
        topo = new L3Topology(CLIENTS);
        L3Topology.Lb lb = topo.startLb(topo.backendArgs(4));
        List<TestClient> first = connectAll(CLIENTS);
        Map<String, Integer> perMember = new HashMap<>();
        for (int i = 0; i < CLIENTS; i++) {
            TestClient c = first.get(i);
            // the backend saw the client's own address (DNAT only, no source NAT)
            assertThat(c.firstLine().split(" ")[1]).startsWith(topo.clientIp(i) + ":");
            assertThat(c.member()).as("client %s", topo.clientIp(i)).isEqualTo(lookup(lb, topo.clientIp(i)));
            perMember.merge(c.member(), 1, Integer::sum);
            assertThat(c.echo("hello " + i)).isEqualTo("hello " + i);
        }
        assertThat(perMember).hasSize(4);
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < CLIENTS; i++) {
                try (TestClient again = new TestClient(topo.clientIp(i), topo.vipAddress())) {
                    assertThat(again.member()).isEqualTo(first.get(i).member());
                }
            }
        }
        String metrics = lb.get("/metrics");
        assertThat(metrics).contains("stickyring_lb_nft_member_slots{member=\"b1\"}");
        // default counters (flows): each of the 3 x 200 connections counted once, on its member; no
        // packet counters (they would cost a rule on every forwarded packet)
        Map<String, Integer> flows = new HashMap<>();
        perMember.forEach((m, k) -> flows.put(m, 3 * k));
        awaitNewFlows(lb, flows);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(lb.get("/metrics")).containsPattern("stickyring_lb_nft_member_flows\\{member=\"b1\"} [1-9]")
                        .doesNotContain("stickyring_lb_nft_member_packets_total{"));
    }

    /** Waits until {@code stickyring_lb_nft_member_new_flows_total} is exactly {@code want} per member. */
    static void awaitNewFlows(L3Topology.Lb lb, Map<String, Integer> want) {
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            String metrics = lb.get("/metrics");
            want.forEach((m, k) -> assertThat(metrics).as("new flows of %s", m)
                    .contains("stickyring_lb_nft_member_new_flows_total{member=\"" + m + "\"} " + k + ".0"));
        });
    }

    @Test
    void clientsOnTheLbHostItselfLandWhereLookupSaysThroughTheOutputHook() throws Exception {
        topo = new L3Topology(0);
        int local = 40;
        topo.addLocalClients(local);
        L3Topology.Lb lb = topo.startLb(topo.backendArgs(4));
        List<String> sources = new ArrayList<>();
        for (int i = 0; i < local; i++) {
            sources.add(topo.localClientIp(i));
        }
        Map<String, Integer> perMember = new HashMap<>();
        for (int round = 0; round < 2; round++) {
            Map<String, String[]> seen = topo.localConnections(sources);
            assertThat(seen).hasSize(local);
            for (String src : sources) {
                String[] greetingEcho = seen.get(src);
                String member = greetingEcho[0].split(" ")[0];
                // DNAT in the output hook: the member the kernel picked is the one /lookup names, and
                // it saw the local client's own address
                assertThat(member).as("local client %s", src).isEqualTo(lookup(lb, src));
                assertThat(greetingEcho[0].split(" ")[1]).startsWith(src + ":");
                assertThat(greetingEcho[1]).isEqualTo("local " + src);
                perMember.merge(member, 1, Integer::sum);
            }
        }
        assertThat(perMember).hasSizeGreaterThan(1);
        // the nat postrouting chain counts locally generated flows too
        awaitNewFlows(lb, perMember);
    }

    @Test
    void snatServesBackendsWithoutAReturnRouteThroughTheLbAndTheySeeTheLbsAddress() throws Exception {
        topo = new L3Topology(20);
        topo.removeBackendReturnRoute();
        L3Topology.Lb lb = topo.startLb(concat(topo.backendArgs(4), "--nft-snat", "--nft-counters=packets"));
        List<TestClient> cs = connectAll(20);
        Map<String, Integer> perMember = new HashMap<>();
        for (int i = 0; i < cs.size(); i++) {
            TestClient c = cs.get(i);
            // masqueraded: the member saw the LB's backend-side address, not the client's
            assertThat(c.firstLine().split(" ")[1]).startsWith(topo.lbBackendAddress() + ":");
            assertThat(c.member()).isEqualTo(lookup(lb, topo.clientIp(i)));
            assertThat(c.echo("snat " + i)).isEqualTo("snat " + i);
            perMember.merge(c.member(), 1, Integer::sum);
        }
        // the new-flow count runs before the masquerade's chain (a chain that sets up a source NAT
        // ends the hook's evaluation for that flow); --nft-counters=packets adds packets and bytes
        awaitNewFlows(lb, perMember);
        String member = cs.get(0).member();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(lb.get("/metrics"))
                .containsPattern("stickyring_lb_nft_member_packets_total\\{member=\"" + member + "\"} [1-9]")
                .containsPattern("stickyring_lb_nft_member_bytes_total\\{member=\"" + member + "\"} [1-9]"));
    }

    private static List<String> concat(List<String> a, String... b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(List.of(b));
        return out;
    }

    @Test
    void lookupNamesTheKernelsMemberForTenThousandAddresses() throws Exception {
        topo = new L3Topology(0);
        L3Topology.Lb lb = topo.startLb(topo.backendArgs(4));
        List<String> sources = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            sources.add("10.219." + (i / 250) + "." + (1 + i % 250));
        }
        topo.spoofSyns(sources);
        Map<String, String> byIp = new HashMap<>();
        for (int i = 1; i <= 4; i++) {
            byIp.put(topo.backendIp(i), "b" + i);
        }
        Map<String, String> flows = topo.trackedFlows();
        assertThat(flows).hasSize(10_000);
        int agree = 0;
        for (String src : sources) {
            String kernel = byIp.get(flows.get(src));
            assertThat(kernel).as("kernel's member for %s", src).isNotNull();
            assertThat(lookup(lb, src)).as("/lookup for %s", src).isEqualTo(kernel);
            agree++;
        }
        assertThat(agree).isEqualTo(10_000);
    }

    static String state(L3Topology.Lb lb, String id) throws Exception {
        for (JsonNode m : JSON.readTree(lb.get("/members")).path("members")) {
            if (m.path("id").asText().equals(id)) {
                return m.path("state").asText();
            }
        }
        return null;
    }

    @Test
    void anUnreachableMemberLosesOnlyItsFlowsAndItsClientsReconnectElsewhere() throws Exception {
        topo = new L3Topology(CLIENTS);
        L3Topology.Lb lb = topo.startLb(topo.backendArgs(4));
        List<TestClient> cs = connectAll(CLIENTS);
        String victim = "b2";
        assertThat(cs).anyMatch(c -> c.member().equals(victim));
        topo.isolateBackend(2);
        await().atMost(Duration.ofSeconds(10)).until(() -> "DOWN".equals(state(lb, victim)));
        // the LB deletes the victim's tracked flows right after rewriting its slots
        await().atMost(Duration.ofSeconds(10)).until(() -> !topo.trackedFlows().containsValue(topo.backendIp(2)));
        for (int i = 0; i < CLIENTS; i++) {
            TestClient c = cs.get(i);
            if (c.member().equals(victim)) {
                // the next packet is a new flow to the slot's new member, which resets it
                assertThat(c.echo("after " + i)).as("client %d of the dead member", i).isNull();
            } else {
                assertThat(c.echo("after " + i)).as("client %d on %s", i, c.member()).isEqualTo("after " + i);
            }
        }
        for (int i = 0; i < CLIENTS; i++) {
            if (cs.get(i).member().equals(victim)) {
                try (TestClient again = new TestClient(topo.clientIp(i), topo.vipAddress())) {
                    assertThat(again.member()).isNotEqualTo(victim).isEqualTo(lookup(lb, topo.clientIp(i)));
                }
            }
        }
    }

    @Test
    void drainSendsNewFlowsElsewhereAndKeepsEstablishedOnes() throws Exception {
        topo = new L3Topology(CLIENTS);
        L3Topology.Lb lb = topo.startLb(topo.backendArgs(4));
        List<TestClient> cs = connectAll(CLIENTS);
        assertThat(lb.post("/members/b1/drain")).startsWith("200");
        await().atMost(Duration.ofSeconds(10)).until(() -> !lookup(lb, topo.clientIp(indexOn(cs, "b1"))).equals("b1"));
        // the kernel follows the router one transaction later: wait until b1 owns no slot there
        await().atMost(Duration.ofSeconds(10)).until(() -> !lb.get("/metrics").contains("stickyring_lb_nft_member_slots{member=\"b1\"}"));
        int kept = 0;
        for (int i = 0; i < CLIENTS; i++) {
            TestClient c = cs.get(i);
            assertThat(c.echo("drained " + i)).as("client %d on %s", i, c.member()).isEqualTo("drained " + i);
            if (c.member().equals("b1")) {
                kept++;
                try (TestClient again = new TestClient(topo.clientIp(i), topo.vipAddress())) {
                    assertThat(again.member()).isNotEqualTo("b1").isEqualTo(lookup(lb, topo.clientIp(i)));
                }
            }
        }
        assertThat(kept).isPositive();
        assertThat(topo.trackedFlows().values()).contains(topo.backendIp(1));
    }

    private static int indexOn(List<TestClient> cs, String member) {
        for (int i = 0; i < cs.size(); i++) {
            if (cs.get(i).member().equals(member)) {
                return i;
            }
        }
        throw new AssertionError("no client on " + member);
    }

    @Test
    void sigkillOfTheLbLeavesForwardingAndARestartAdoptsTheTable() throws Exception {
        topo = new L3Topology(100);
        L3Topology.Lb lb = topo.startLb(topo.backendArgs(4));
        List<TestClient> cs = connectAll(100);
        String seed = seedLine(lb);
        lb.kill9();
        for (int i = 0; i < cs.size(); i++) {
            assertThat(cs.get(i).echo("orphan " + i)).isEqualTo("orphan " + i);
            try (TestClient again = new TestClient(topo.clientIp(i), topo.vipAddress())) {
                assertThat(again.member()).isEqualTo(cs.get(i).member());
            }
        }
        L3Topology.Lb second = topo.startLb(topo.backendArgs(4));
        assertThat(seedLine(second)).isEqualTo(seed);
        // adoption found the kernel's table equal to the ring's: no transaction, no flow touched
        assertThat(second.get("/metrics")).contains("stickyring_lb_nft_applies_total 0.0");
        for (int i = 0; i < cs.size(); i++) {
            assertThat(cs.get(i).echo("adopted " + i)).isEqualTo("adopted " + i);
            assertThat(lookup(second, topo.clientIp(i))).isEqualTo(cs.get(i).member());
        }
    }

    private static String seedLine(L3Topology.Lb lb) {
        return lb.output.stream().filter(l -> l.contains("seed 0x")).findFirst()
                .map(l -> l.replaceAll(".*seed (0x[0-9a-f]+).*", "$1")).orElseThrow();
    }

    @Test
    void zooKeeperMembershipAJoinMovesOnlyNewFlowsAndAboutThePredictedShare() throws Exception {
        topo = new L3Topology(CLIENTS);
        try (TestingServer zk = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 100, -1), true)) {
            CuratorFramework registrar = ZkSettings.of(zk.getConnectString(), "l3").newClient();
            registrar.start();
            List<ZkMemberRegistration> regs = new ArrayList<>();
            try {
                for (int i = 1; i <= 3; i++) {
                    regs.add(register(registrar, i));
                }
                L3Topology.Lb lb = topo.startLb(List.of("--zk=" + topo.hostAddress() + ":" + zk.getPort(), "--cluster=l3"));
                await().atMost(Duration.ofSeconds(10)).until(() -> JSON.readTree(lb.get("/members")).path("members").size() == 3);
                List<TestClient> cs = connectAll(CLIENTS);
                double predicted = JSON.readTree(lb.get("/whatif?add=b4=" + topo.backendIp(4) + ":" + L3Topology.BACKEND_PORT))
                        .path("keySpaceMoved").asDouble();
                regs.add(register(registrar, 4));
                await().atMost(Duration.ofSeconds(10)).until(() -> lb.get("/metrics").contains("stickyring_lb_nft_member_slots{member=\"b4\"}"));
                int moved = 0;
                for (int i = 0; i < CLIENTS; i++) {
                    TestClient c = cs.get(i);
                    assertThat(c.member()).isNotEqualTo("b4");
                    // established flows stay on their member
                    assertThat(c.echo("joined " + i)).isEqualTo("joined " + i);
                    try (TestClient again = new TestClient(topo.clientIp(i), topo.vipAddress())) {
                        assertThat(again.member()).isEqualTo(lookup(lb, topo.clientIp(i)));
                        assertThat(again.firstLine().split(" ")[1]).startsWith(topo.clientIp(i) + ":");
                        if (!again.member().equals(c.member())) {
                            assertThat(again.member()).as("a moved client goes to the newcomer").isEqualTo("b4");
                            moved++;
                        }
                    }
                }
                // 200 clients: binomial sd about 0.03 around the predicted share
                assertThat((double) moved / CLIENTS).isBetween(predicted - 0.12, predicted + 0.12);
                assertThat(predicted).isBetween(0.15, 0.35);
            } finally {
                for (ZkMemberRegistration r : regs) {
                    r.close();
                }
                registrar.close();
            }
        }
    }

    private ZkMemberRegistration register(CuratorFramework client, int i) {
        ZkMemberRegistration r = new ZkMemberRegistration(client, "l3",
                Member.of("b" + i, topo.backendIp(i), L3Topology.BACKEND_PORT), Duration.ZERO);
        r.start();
        return r;
    }

    @Test
    void ipv6VipForwardsWithTheRealClientAddressAndAnUnreachableMemberLosesOnlyItsFlows() throws Exception {
        int clients = 60;
        topo = new L3Topology(clients);
        for (int i = 1; i <= 4; i++) {
            topo.startBackend6(i);
        }
        List<String> backends = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            backends.add("--backend=b" + i + "=[" + topo.backendIp6(i) + "]:" + L3Topology.BACKEND_PORT);
        }
        L3Topology.Lb lb = topo.startLb("[" + topo.vip6() + "]:" + L3Topology.VIP_PORT, topo.table() + "_6", backends);
        java.net.InetSocketAddress vip = new java.net.InetSocketAddress(topo.vip6(), L3Topology.VIP_PORT);
        List<TestClient> cs = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            TestClient c = new TestClient(topo.clientIp6(i), vip);
            clients(c, cs);
            String seen = c.firstLine().split(" ")[1];
            assertThat(java.net.InetAddress.getByName(seen.substring(0, seen.lastIndexOf(':'))))
                    .isEqualTo(java.net.InetAddress.getByName(topo.clientIp6(i)));
            assertThat(c.member()).isEqualTo(lookup(lb, topo.clientIp6(i)));
        }
        assertThat(cs).anyMatch(c -> c.member().equals("b3"));
        topo.isolateBackend6(3);
        await().atMost(Duration.ofSeconds(10)).until(() -> "DOWN".equals(state(lb, "b3")));
        await().atMost(Duration.ofSeconds(10)).until(() -> !lb.get("/metrics").contains("stickyring_lb_nft_member_slots{member=\"b3\"}"));
        for (int i = 0; i < clients; i++) {
            TestClient c = cs.get(i);
            // the dead member's clients are reset on their next packet; the others keep exchanging data
            assertThat(c.echo("v6 " + i)).as("client %d on %s", i, c.member()).isEqualTo(c.member().equals("b3") ? null : "v6 " + i);
        }
    }

    private void clients(TestClient c, List<TestClient> cs) {
        clients.add(c);
        cs.add(c);
    }
}
