package io.stickyring.lb;

import static io.stickyring.lb.support.TestClient.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stickyring.lb.config.HealthCheckMode;
import io.stickyring.lb.support.EchoBackend;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.lb.support.TestClient;
import io.stickyring.membership.zk.ZkMemberRegistration;
import io.stickyring.membership.zk.ZkSettings;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The runtime API: member state ready|drain|maint and weight, on one LB and fleet-wide through ZooKeeper. */
@Timeout(120)
class RuntimeApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final LbHarness h = new LbHarness();
    private final List<AutoCloseable> closeLast = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        h.close();
        for (int i = closeLast.size() - 1; i >= 0; i--) {
            closeLast.get(i).close();
        }
    }

    private JsonNode member(LoadBalancer lb, String id) throws Exception {
        for (JsonNode m : JSON.readTree(h.get(lb, "/members").body()).get("members")) {
            if (m.get("id").asText().equals(id)) {
                return m;
            }
        }
        throw new AssertionError("no member " + id);
    }

    private double metric(LoadBalancer lb, String sample) throws Exception {
        return LbHarness.metric(h.get(lb, "/metrics").body(), sample);
    }

    @Test
    void maintTakesNoNewConnectionsKeepsOldOnesAndRaisesNoDownAlarmThenReadyRestores() throws Exception {
        for (int i = 1; i <= 3; i++) {
            h.backend("b" + i, false);
        }
        LoadBalancer lb = h.start(b -> {
            b.healthCheck = HealthCheckMode.TCP;
            b.healthInterval = Duration.ofMillis(100);
            b.healthTimeout = Duration.ofMillis(500);
            b.healthFall = 1;
        });
        List<TestClient> onB1 = new ArrayList<>();
        List<String> ips = new ArrayList<>();
        for (int i = 0; i < 60 && onB1.size() < 3; i++) {
            TestClient c = new TestClient(ip(i), lb.proxyAddress());
            if ("b1".equals(c.member())) {
                onB1.add(c);
                ips.add(ip(i));
            } else {
                c.close();
            }
        }
        assertThat(onB1).isNotEmpty();
        try {
            HttpResponse<String> r = h.post(lb, "/members/b1/state?state=maint", null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(5)).until(() -> member(lb, "b1").get("state").asText().equals("MAINT"));
            assertThat(metric(lb, "stickyring_lb_member_state{member=\"b1\",state=\"MAINT\"}")).isEqualTo(1.0);
            for (int i = 0; i < onB1.size(); i++) {
                assertThat(onB1.get(i).echo("still" + i)).as("an existing connection survives MAINT").isEqualTo("still" + i);
                try (TestClient again = new TestClient(ips.get(i), lb.proxyAddress())) {
                    assertThat(again.member()).isNotEqualTo("b1");
                }
            }
            // the operator stops the member for maintenance: not checked, so never DOWN, member_up stays 1
            h.backends.get("b1").stop();
            h.backends.get("b2").stop(); // a control: an ordinary member that dies is marked DOWN
            await().atMost(Duration.ofSeconds(10)).until(() -> !lb.router().member("b2").up());
            assertThat(lb.router().member("b1").up()).isTrue();
            assertThat(member(lb, "b1").get("state").asText()).isEqualTo("MAINT");
            assertThat(metric(lb, "stickyring_lb_member_up{member=\"b1\"}")).isEqualTo(1.0);
            assertThat(metric(lb, "stickyring_lb_member_up{member=\"b2\"}")).isEqualTo(0.0);

            assertThat(h.post(lb, "/members/b1/state", null).statusCode()).as("no value").isEqualTo(400);
            HttpResponse<String> bad = h.post(lb, "/members/b1/state?state=up", null);
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("state 'up' must be ready, drain or maint");
            assertThat(h.post(lb, "/members/ghost/state?state=ready", null).statusCode()).isEqualTo(404);

            assertThat(h.post(lb, "/members/b3/drain", null).statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(5)).until(() -> member(lb, "b3").get("state").asText().equals("DRAINING"));
            assertThat(h.post(lb, "/members/b3/undrain", null).statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(5)).until(() -> member(lb, "b3").get("state").asText().equals("ACTIVE"));
            assertThat(h.post(lb, "/members/b1/state?state=ready", null).statusCode()).isEqualTo(200);
            // back from MAINT, b1 is checked again: it is stopped, so it goes DOWN now
            await().atMost(Duration.ofSeconds(10)).until(() -> member(lb, "b1").get("state").asText().equals("DOWN"));
        } finally {
            for (TestClient c : onB1) {
                c.close();
            }
        }
    }

    @Test
    void weightChangesTheShareAndShowsInMembersAndMetrics() throws Exception {
        for (int i = 1; i <= 3; i++) {
            h.backend("w" + i, false);
        }
        LoadBalancer lb = h.start(b -> { });
        assertThat(member(lb, "w1").get("share").asDouble()).isBetween(0.25, 0.42);
        HttpResponse<String> r = h.post(lb, "/members/w1/weight?weight=6", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> member(lb, "w1").get("weight").asInt() == 6);
        assertThat(member(lb, "w1").get("share").asDouble()).isBetween(0.70, 0.80); // 6 / (6 + 1 + 1)
        assertThat(metric(lb, "stickyring_lb_member_weight{member=\"w1\"}")).isEqualTo(6.0);
        HttpResponse<String> zero = h.post(lb, "/members/w1/weight?weight=0", null);
        assertThat(zero.statusCode()).isEqualTo(400);
        assertThat(zero.body()).contains("weight (0) must be in 1..256");
        assertThat(h.post(lb, "/members/w1/weight?weight=heavy", null).body()).contains("weight 'heavy'");
    }

    @Test
    void stateAndWeightSetThroughOneLbReachASecondLbThroughZooKeeper() throws Exception {
        TestingServer zk = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 100, -1), true);
        closeLast.add(zk);
        ZkSettings settings = ZkSettings.of(zk.getConnectString(), "runtime").withSessionTimeout(Duration.ofMillis(1500))
                .withConnectionTimeout(Duration.ofMillis(1000)).withRetry(Duration.ofMillis(50), Duration.ofMillis(200), 3);
        CuratorFramework registrar = settings.newClient();
        registrar.start();
        closeLast.add(registrar);
        for (int i = 1; i <= 3; i++) {
            EchoBackend b = h.backend("z" + i, false);
            ZkMemberRegistration reg = new ZkMemberRegistration(registrar, "runtime", b.member(), Duration.ZERO);
            reg.start();
            closeLast.add(reg);
        }
        LoadBalancer a = h.startZk(settings, b -> { });
        LoadBalancer b = h.startZk(settings, x -> { });
        await().atMost(Duration.ofSeconds(10)).until(() -> a.router().table().ring().length == 3 && b.router().table().ring().length == 3);

        assertThat(h.post(a, "/members/z2/state?state=maint", null).statusCode()).isEqualTo(200);
        assertThat(h.post(a, "/members/z3/weight", null).statusCode()).as("no value").isEqualTo(400);
        assertThat(h.post(a, "/members/z3/weight?weight=4", null).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> member(b, "z2").get("state").asText().equals("MAINT")
                && member(b, "z3").get("weight").asInt() == 4);
        assertThat(metric(b, "stickyring_lb_member_state{member=\"z2\",state=\"MAINT\"}")).isEqualTo(1.0);
        assertThat(metric(b, "stickyring_lb_member_weight{member=\"z3\"}")).isEqualTo(4.0);
        assertThat(b.router().table().ring()).extracting(m -> m.id()).containsExactly("z1", "z3");
        assertThat(b.router().table().view().version()).isEqualTo(a.router().table().view().version());

        assertThat(h.post(b, "/members/z2/state?state=ready", null).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> member(a, "z2").get("state").asText().equals("ACTIVE"));
    }
}
