package io.stickyring.membership.zk;

import static io.stickyring.membership.zk.ZkHarness.member;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.membership.Member;
import io.stickyring.membership.MembershipView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Membership over a real 3-server ensemble: losing one server must not change any view. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ZkEnsembleTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String CLUSTER = "ens";
    /** 200 ms ticks allow sessions up to 4 s, enough to ride out a leader election. */
    private static final int TICK_MILLIS = 200;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private TestingCluster ensemble;

    @AfterEach
    void stopAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        if (ensemble != null) {
            ensemble.close();
        }
    }

    private CuratorFramework client() {
        ZkSettings settings = ZkSettings.of(ensemble.getConnectString(), CLUSTER)
                .withSessionTimeout(Duration.ofSeconds(3))
                .withConnectionTimeout(Duration.ofSeconds(1))
                .withRetry(Duration.ofMillis(50), Duration.ofMillis(500), 5);
        CuratorFramework client = ZkHarness.startedClient(settings);
        closeables.add(client);
        return client;
    }

    @Test
    void stoppingOneOfThreeServersChangesNoView() throws Exception {
        List<InstanceSpec> specs = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            specs.add(new InstanceSpec(null, -1, -1, -1, true, id, TICK_MILLIS, -1));
        }
        ensemble = new TestingCluster(specs);
        ensemble.start();

        ZkHarness.Recorder a = new ZkHarness.Recorder();
        ZkHarness.Recorder b = new ZkHarness.Recorder();
        CuratorFramework watcherClient = client();
        List<ConnectionState> watcherStates = new CopyOnWriteArrayList<>();
        watcherClient.getConnectionStateListenable().addListener((c, s) -> watcherStates.add(s));
        ZkMembershipWatcher wa = new ZkMembershipWatcher(watcherClient, CLUSTER);
        ZkMembershipWatcher wb = new ZkMembershipWatcher(client(), CLUSTER);
        closeables.add(wa);
        closeables.add(wb);
        wa.addListener(a);
        wb.addListener(b);
        wa.start();
        wb.start();
        List<ZkMemberRegistration> registrations = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ZkMemberRegistration r = new ZkMemberRegistration(client(), CLUSTER, member("n" + i, 9000 + i), Duration.ZERO);
            closeables.add(r);
            r.start();
            registrations.add(r);
        }
        List<String> all = List.of("n1", "n2", "n3");
        await().atMost(WAIT).until(() -> a.lastIds().equals(all) && b.lastIds().equals(all));
        MembershipView before = wa.current().orElseThrow();
        assertThat(wb.current().orElseThrow()).isEqualTo(before);
        int baseA = a.views.size();
        int baseB = b.views.size();

        // Stop the server watcher A talks to, so A is certainly disturbed and must fail over.
        InstanceSpec victim = ensemble.findConnectionInstance(watcherClient.getZookeeperClient().getZooKeeper());
        assertThat(ensemble.killServer(victim)).isTrue();
        await().atMost(WAIT).until(() -> watcherStates.contains(ConnectionState.RECONNECTED));

        // A marker change after the failover: once both watchers show it, every view before it was published.
        ZkMemberRegistration marker = new ZkMemberRegistration(client(), CLUSTER, member("n4", 9004), Duration.ZERO);
        closeables.add(marker);
        marker.start();
        await().atMost(WAIT).until(() -> a.lastIds().contains("n4") && b.lastIds().contains("n4"));

        for (List<MembershipView> views : List.of(a.views.subList(baseA, a.views.size()), b.views.subList(baseB, b.views.size()))) {
            List<MembershipView> beforeMarker = views.stream().filter(v -> !ids(v).contains("n4")).toList();
            assertThat(beforeMarker).allSatisfy(v -> {
                assertThat(v.version()).isEqualTo(before.version());
                assertThat(v.members()).isEqualTo(before.members());
            });
        }
        for (ZkMemberRegistration r : registrations) {
            assertThat(r.isRegistered()).isTrue();
            assertThat(r.reRegistrations()).isZero();
        }
        assertThat(wa.current().orElseThrow().stale()).isFalse();
        assertThat(wa.current().orElseThrow()).isEqualTo(wb.current().orElseThrow());
    }

    private static List<String> ids(MembershipView view) {
        return view.members().stream().map(Member::id).toList();
    }
}
