package io.stickyring.lb;

import static io.stickyring.lb.support.TestClient.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.route.HashFactories;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.source.Membership;
import io.stickyring.lb.support.ChildMember;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.lb.support.MutableSource;
import io.stickyring.lb.support.TestClient;
import io.stickyring.membership.Member;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Failure isolation against real member processes: kill -9 one of four while 400 connections are open. */
@Timeout(180)
class ProcessKillTest {

    @Test
    void killNineOfOneMemberProcessClosesExactlyItsConnections() throws Exception {
        List<ChildMember> children = new ArrayList<>();
        List<TestClient> clients = new ArrayList<>();
        LoadBalancer lb = null;
        try {
            for (int i = 1; i <= 4; i++) {
                children.add(new ChildMember("c" + i));
            }
            List<Member> members = children.stream().map(ChildMember::member).toList();
            LbConfig cfg = LbHarness.config(members).build();
            MutableSource src = new MutableSource(members);
            lb = LoadBalancer.start(cfg, new Membership(src, src, null), HashFactories.defaults(),
                    KeyFunctions.of(cfg.keyMode(), cfg.prefixV4(), cfg.prefixV6()));
            for (int i = 0; i < 400; i++) {
                clients.add(new TestClient(ip(i), lb.proxyAddress()));
            }
            String victim = "c2";
            long onVictim = clients.stream().filter(c -> c.member().equals(victim)).count();
            assertThat(onVictim).isPositive();
            children.get(1).kill9();

            for (int i = 0; i < clients.size(); i++) {
                TestClient c = clients.get(i);
                if (c.member().equals(victim)) {
                    assertThat(c.closedByPeer()).as("client %d on the killed member", i).isTrue();
                    c.close();
                }
            }
            for (int i = 0; i < clients.size(); i++) {
                TestClient c = clients.get(i);
                if (!c.member().equals(victim)) {
                    assertThat(c.echo("alive " + i)).as("client %d on %s", i, c.member()).isEqualTo("alive " + i);
                }
            }
            LoadBalancer l = lb;
            await().atMost(Duration.ofSeconds(10)).until(() -> l.metrics().active.get() == 400 - onVictim);
            for (int i = 0; i < clients.size(); i++) {
                try (TestClient again = new TestClient(ip(i), lb.proxyAddress())) {
                    if (clients.get(i).member().equals(victim)) {
                        assertThat(again.member()).isNotNull().isNotEqualTo(victim);
                    } else {
                        assertThat(again.member()).isEqualTo(clients.get(i).member());
                    }
                }
            }
        } finally {
            for (TestClient c : clients) {
                c.close();
            }
            if (lb != null) {
                lb.close();
            }
            for (ChildMember c : children) {
                c.close();
            }
        }
    }
}
