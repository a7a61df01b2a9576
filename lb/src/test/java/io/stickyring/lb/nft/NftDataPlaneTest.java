package io.stickyring.lb.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stickyring.lb.LoadBalancer;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.metrics.LbMetrics;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.source.Membership;
import io.stickyring.lb.route.HashFactories;
import io.stickyring.lb.route.Router;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.membership.Member;
import io.stickyring.membership.MembershipView;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * NftDataPlane against the kernel in a bare network namespace of its own (no traffic): the table
 * follows the router's ring slot for slot, in both families, and a restart adopts seed and slots.
 */
@Timeout(60)
class NftDataPlaneTest {

    private String ns;
    private List<String> prefix;
    private final ScheduledExecutorService control = Executors.newSingleThreadScheduledExecutor();

    @BeforeEach
    void namespace() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "nft data plane tests need root (network namespaces)");
        ns = "srnft-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0x100000));
        assertThat(run("ip", "netns", "add", ns)).isZero();
        prefix = List.of("ip", "netns", "exec", ns);
    }

    @AfterEach
    void cleanup() throws Exception {
        control.shutdownNow();
        if (ns != null) {
            run("ip", "netns", "del", ns);
        }
    }

    private Router router(NftDataPlane dp, List<Member> members) {
        Router r = new Router(LbHarness.config(members).build(), HashFactories.defaults(), new LbMetrics(), control,
                System::nanoTime, false);
        r.onPublish(dp::publish);
        return r;
    }

    private static SlotTable expected(Router r, List<Member> members, int slots) {
        return SlotTable.fill(r.table().hash(), id -> members.stream().filter(m -> m.id().equals(id)).findFirst()
                .map(m -> new SlotTable.Target(id, addr(m.host()), m.port())).orElseThrow(), slots);
    }

    private static InetAddress addr(String h) {
        try {
            return InetAddress.getByName(h);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void ipv6TableFollowsTheRingAndARestartAdoptsSeedAndSlots() throws Exception {
        NftConfig cfg = new NftConfig("srt", InetAddress.getByName("fd00:98::1"), 80, 4096, false);
        List<Member> members = List.of(Member.of("m1", "fd00:97::11", 7000), Member.of("m2", "fd00:97::12", 7000),
                Member.of("m3", "fd00:97::13", 7001));
        NftDataPlane dp = NftDataPlane.start(cfg, prefix);
        Router r = router(dp, members);
        r.applyView(MembershipView.of(1, members));
        dp.awaitIdle(Duration.ofSeconds(30));
        SlotTable want = expected(r, members, 4096);
        assertThat(dp.readSlots().changedSlots(want)).isEmpty();
        assertThat(want.counts()).containsOnlyKeys("m1", "m2", "m3");
        String chain = nft("-j", "list", "chain", "ip6", "srt", "prerouting");
        assertThat(chain).contains("\"saddr\"").contains("\"protocol\": \"ip6\"")
                .contains("\"seed\": " + Integer.toUnsignedString(dp.seed()));
        int seed = dp.seed();
        dp.close();

        NftDataPlane again = NftDataPlane.start(cfg, prefix);
        assertThat(again.seed()).isEqualTo(seed);
        assertThat(again.readSlots().changedSlots(want)).isEmpty();
        // a member leaves: the one transaction rewrites exactly its slots
        Router r2 = router(again, members);
        List<Member> two = List.of(members.get(0), members.get(2));
        r2.applyView(MembershipView.of(2, two));
        again.awaitIdle(Duration.ofSeconds(30));
        SlotTable after = expected(r2, two, 4096);
        assertThat(again.readSlots().changedSlots(after)).isEmpty();
        for (int s : want.changedSlots(after)) {
            assertThat(want.get(s).member()).isEqualTo("m2");
        }
        again.close();
    }

    @Test
    void aRestartWithFewerSlotsDropsTheElementsTheNewRuleCannotPick() throws Exception {
        List<Member> members = List.of(Member.of("m1", "10.97.0.11", 7000), Member.of("m2", "10.97.0.12", 7000));
        NftConfig big = new NftConfig("srt", InetAddress.getByName("10.98.0.1"), 80, 64, true);
        NftDataPlane dp = NftDataPlane.start(big, prefix);
        router(dp, members).applyView(MembershipView.of(1, members));
        dp.awaitIdle(Duration.ofSeconds(30));
        dp.close();
        assertThat(nft("-j", "list", "chain", "ip", "srt", "postrouting")).contains("masquerade");
        // default counters (flows): one rule in a nat postrouting chain of the small table srt_stats,
        // which the kernel evaluates only for a flow's first packet; no filter chain on every packet
        assertThat(nft("-j", "list", "chain", "ip", "srt_stats", "postrouting")).contains("\"rule\"").contains("\"nat\"");
        assertThat(nft("-j", "list", "table", "ip", "srt_stats")).doesNotContain("\"hook\": \"forward\"");
        assertThat(nft("-j", "list", "table", "ip", "srt")).doesNotContain("\"name\": \"forward\"");

        // --nft-counters=packets adds the per-packet forward chain; the stats table is rebuilt at start
        NftConfig packets = new NftConfig("srt", InetAddress.getByName("10.98.0.1"), 80, 64, true, NftConfig.Counters.PACKETS);
        NftDataPlane dp1 = NftDataPlane.start(packets, prefix);
        router(dp1, members).applyView(MembershipView.of(1, members));
        dp1.awaitIdle(Duration.ofSeconds(30));
        dp1.close();
        assertThat(nft("-j", "list", "chain", "ip", "srt_stats", "forward")).contains("\"rule\"");
        assertThat(nft("-j", "list", "table", "ip", "srt_stats")).contains("\"f_0a61000b_7000\"").contains("\"m_0a61000b_7000\"");

        NftConfig small = new NftConfig("srt", InetAddress.getByName("10.98.0.1"), 80, 32, false, NftConfig.Counters.OFF);
        NftDataPlane dp2 = NftDataPlane.start(small, prefix);
        Router r = router(dp2, members);
        r.applyView(MembershipView.of(1, members));
        dp2.awaitIdle(Duration.ofSeconds(30));
        String map = nft("-j", "list", "map", "ip", "srt", "slots");
        assertThat(map.split("\"concat\"").length - 1).isEqualTo(32);
        assertThat(dp2.readSlots().changedSlots(expected(r, members, 32))).isEmpty();
        assertThat(nft("-j", "list", "chain", "ip", "srt", "prerouting")).contains("\"mod\": 32");
        // without --nft-snat and with --nft-counters=false the adopted table loses both chains: no
        // hook on every forwarded packet beyond the minimal rule set's
        String table = nft("-j", "list", "table", "ip", "srt");
        assertThat(table).doesNotContain("masquerade").doesNotContain("\"name\": \"forward\"")
                .doesNotContain("\"name\": \"postrouting\"").contains("\"name\": \"prerouting\"");
        assertThat(nft("list", "tables")).contains("table ip srt").doesNotContain("srt_stats");
        dp2.close();
    }

    @Test
    void theKernelIsReadOnlyWhenScrapedAndAtMostOncePerInterval() throws Exception {
        List<Member> members = List.of(Member.of("m1", "10.97.0.11", 7000));
        NftConfig cfg = new NftConfig("srt", InetAddress.getByName("10.98.0.1"), 80, 64, false);
        NftDataPlane dp = NftDataPlane.start(cfg, prefix);
        PrometheusRegistry registry = new PrometheusRegistry();
        dp.bindMetrics(registry);
        router(dp, members).applyView(MembershipView.of(1, members));
        dp.awaitIdle(Duration.ofSeconds(30));
        assertThat(dp.polls()).isZero();
        registry.scrape();
        dp.awaitIdle(Duration.ofSeconds(30));
        assertThat(dp.polls()).isEqualTo(1);
        // a second scrape right after: the values are fresh enough, the kernel is not read again
        registry.scrape();
        dp.awaitIdle(Duration.ofSeconds(30));
        assertThat(dp.polls()).isEqualTo(1);
        dp.close();
    }

    @Test
    void aReloadInNftModeRefusesProxyOnlySettingsAndAppliesTheRest() throws Exception {
        List<Member> members = List.of(Member.of("m1", "10.97.0.11", 7000), Member.of("m2", "10.97.0.12", 7000));
        NftConfig cfg = new NftConfig("srt", InetAddress.getByName("10.98.0.1"), 80, 256, false);
        NftDataPlane dp = NftDataPlane.start(cfg, prefix);
        LbConfig base = LbHarness.config(members).build();
        try (LoadBalancer lb = LoadBalancer.start(base, Membership.of(base), HashFactories.defaults(),
                KeyFunctions.of(base.keyMode(), base.prefixV4(), base.prefixV6()), dp)) {
            assertThat(lb.proxyAddresses()).isEmpty(); // the kernel serves the VIP: no proxy listener
            LbConfig.Builder bounded = LbHarness.config(members);
            bounded.balanceFactor = 1.25;
            assertThatThrownBy(() -> lb.reload(bounded.build())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--balance-factor").hasMessageContaining("nothing was changed");
            assertThat(lb.router().config().balanceFactor()).isZero();
            LbConfig.Builder rise = LbHarness.config(members);
            rise.healthRise = 3;
            assertThat(lb.reload(rise.build())).containsExactly("health-rise");
        }
    }

    @Test
    void aTransactionTheKernelRefusesIsRetriedFromTheKernelsActualTable() throws Exception {
        List<Member> members = List.of(Member.of("m1", "10.97.0.11", 7000), Member.of("m2", "10.97.0.12", 7000),
                Member.of("m3", "10.97.0.13", 7000));
        NftConfig cfg = new NftConfig("srt", InetAddress.getByName("10.98.0.1"), 80, 256, false);
        NftDataPlane dp = NftDataPlane.start(cfg, prefix);
        Router r = router(dp, members);
        r.applyView(MembershipView.of(1, members));
        dp.awaitIdle(Duration.ofSeconds(30));
        SlotTable before = expected(r, members, 256);
        int victim = -1;
        for (int i = 0; i < 256 && victim < 0; i++) {
            victim = before.get(i).member().equals("m2") ? i : -1;
        }
        // someone removed a slot behind the LB's back: the next diff's "delete element" of it fails
        assertThat(nft("delete", "element", "ip", "srt", "slots", "{ " + victim + " }")).isEmpty();
        List<Member> two = List.of(members.get(0), members.get(2));
        r.applyView(MembershipView.of(2, two));
        SlotTable want = expected(r, two, 256);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> dp.readSlots().changedSlots(want).length == 0);
        dp.close();
    }

    private String nft(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(prefix);
        cmd.add("nft");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(20, TimeUnit.SECONDS);
        return out;
    }

    private static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
