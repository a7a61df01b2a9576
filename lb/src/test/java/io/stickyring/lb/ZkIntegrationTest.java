package io.stickyring.lb;

import static io.stickyring.lb.support.TestClient.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.route.HashFactories;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.source.Membership;
import io.stickyring.lb.support.EchoBackend;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.lb.support.TestClient;
import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.zk.ZkMemberRegistration;
import io.stickyring.membership.zk.ZkSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Load balancers fed by ZooKeeper (Curator TestingServer) with members registered as chat nodes would. */
@Timeout(120)
class ZkIntegrationTest {

    private final LbHarness h = new LbHarness();
    private TestingServer zk;
    private CuratorFramework registrar;
    private final List<ZkMemberRegistration> registrations = new ArrayList<>();

    @BeforeEach
    void startZk() throws Exception {
        zk = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 100, -1), true);
        registrar = settings().newClient();
        registrar.start();
    }

    @AfterEach
    void stop() throws Exception {
        h.close();
        for (ZkMemberRegistration r : registrations) {
            r.close();
        }
        registrar.close();
        zk.close();
    }

    private ZkSettings settings() {
        return ZkSettings.of(zk.getConnectString(), "itest").withSessionTimeout(Duration.ofMillis(1500))
                .withConnectionTimeout(Duration.ofMillis(1000)).withRetry(Duration.ofMillis(50), Duration.ofMillis(200), 3);
    }

    private void register(EchoBackend b) {
        Member m = b.member();
        ZkMemberRegistration r = new ZkMemberRegistration(registrar, "itest", m, Duration.ZERO);
        r.start();
        registrations.add(r);
    }

    @Test
    void twoInstancesOnOneZooKeeperMapTenThousandIpsIdenticallyBeforeAndAfterAChange() throws Exception {
        for (int i = 1; i <= 4; i++) {
            register(h.backend("n" + i, false));
        }
        LoadBalancer a = h.startZk(settings(), b -> { });
        // the second LB is wired the way `stickyring lb --zk ... --cluster ...` wires it
        LbConfig.Builder lbb = LbHarness.config(List.of());
        lbb.zk = zk.getConnectString();
        lbb.cluster = "itest";
        LbConfig cfg = lbb.build();
        LoadBalancer b = LoadBalancer.start(cfg, Membership.of(cfg), HashFactories.defaults(),
                KeyFunctions.of(cfg.keyMode(), cfg.prefixV4(), cfg.prefixV6()));
        h.lbs.add(b);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.router().table().ring().length == 4 && b.router().table().ring().length == 4);
        assertSameMapping(a, b);
        for (int i = 0; i < 50; i++) {
            try (TestClient ca = new TestClient(ip(i), a.proxyAddress()); TestClient cb = new TestClient(ip(i), b.proxyAddress())) {
                assertThat(ca.member()).isNotNull().isEqualTo(cb.member());
            }
        }
        register(h.backend("n5", false));
        await().atMost(Duration.ofSeconds(10)).until(() -> a.router().table().ring().length == 5 && b.router().table().ring().length == 5);
        assertThat(a.router().table().view().version()).isEqualTo(b.router().table().view().version());
        assertSameMapping(a, b);

        // a drain through one LB's admin API reaches every LB through ZooKeeper
        assertThat(h.post(a, "/members/n2/drain", null).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> b.router().member("n2").draining() && a.router().member("n2").draining());
        assertThat(b.router().table().ring()).extracting(m -> m.id()).doesNotContain("n2");
        assertSameMapping(a, b);
        assertThat(h.post(a, "/members/ghost/drain", null).statusCode()).isEqualTo(404);
    }

    private static void assertSameMapping(LoadBalancer a, LoadBalancer b) {
        for (int i = 0; i < 10_000; i++) {
            String ip = "192.168." + (i >> 8 & 255) + "." + (i & 255);
            long k = KeyFunctions.keyOf(a.proxy().keyFunction, ip);
            assertThat(KeyFunctions.keyOf(b.proxy().keyFunction, ip)).isEqualTo(k);
            assertThat(a.router().lookup(k).owner()).as(ip).isEqualTo(b.router().lookup(k).owner());
        }
    }

    @Test
    void zooKeeperOutageKeepsRoutingWithTheLastViewReadyButStale() throws Exception {
        for (int i = 1; i <= 3; i++) {
            register(h.backend("n" + i, false));
        }
        LoadBalancer lb = h.startZk(settings(), b -> { });
        await().atMost(Duration.ofSeconds(10)).until(() -> lb.router().table().ring().length == 3);
        List<String> before = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            try (TestClient c = new TestClient(ip(i), lb.proxyAddress())) {
                before.add(c.member());
            }
        }
        zk.stop();
        await().atMost(Duration.ofSeconds(20)).until(() ->
                LbHarness.metric(h.get(lb, "/metrics").body(), "stickyring_lb_view_stale") == 1.0);
        assertThat(h.get(lb, "/readyz").statusCode()).isEqualTo(200);
        assertThat(h.get(lb, "/readyz").body()).contains("\"stale\" : true");
        for (int i = 0; i < 30; i++) {
            try (TestClient c = new TestClient(ip(i), lb.proxyAddress())) {
                assertThat(c.member()).isEqualTo(before.get(i));
            }
        }
        assertThat(lb.router().table().ring()).hasSize(3);
        zk.restart();
        await().atMost(Duration.ofSeconds(20)).until(() ->
                LbHarness.metric(h.get(lb, "/metrics").body(), "stickyring_lb_view_stale") == 0.0);
    }
}
