package io.stickyring.membership.zk;

import static io.stickyring.membership.zk.ZkHarness.member;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.membership.Member;
import io.stickyring.membership.MembershipView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZkMembershipWatcherTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String CLUSTER = "c1";

    private TestingServer server;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void startServer() throws Exception {
        server = ZkHarness.server();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        server.close();
    }

    private <T extends AutoCloseable> T closeLater(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    private CuratorFramework client() {
        return closeLater(ZkHarness.startedClient(ZkHarness.settings(server.getConnectString(), CLUSTER)));
    }

    private ZkMembershipWatcher watcher(ZkHarness.Recorder recorder) {
        ZkMembershipWatcher watcher = closeLater(new ZkMembershipWatcher(client(), CLUSTER));
        watcher.addListener(recorder);
        watcher.start();
        return watcher;
    }

    private ZkMemberRegistration register(Member member) {
        ZkMemberRegistration registration = closeLater(new ZkMemberRegistration(client(), CLUSTER, member, Duration.ZERO));
        registration.start();
        return registration;
    }

    @Test
    void registeredMemberAppearsInTwoIndependentWatchersWithTheSameVersion() {
        ZkHarness.Recorder a = new ZkHarness.Recorder();
        ZkHarness.Recorder b = new ZkHarness.Recorder();
        ZkMembershipWatcher wa = watcher(a);
        ZkMembershipWatcher wb = watcher(b);

        register(member("n1", 9001));
        register(member("n2", 9002));

        await().atMost(WAIT).until(() -> a.lastIds().equals(List.of("n1", "n2")) && b.lastIds().equals(List.of("n1", "n2")));
        MembershipView va = wa.current().orElseThrow();
        MembershipView vb = wb.current().orElseThrow();
        assertThat(va).isEqualTo(vb);
        assertThat(va.version()).isPositive();
        assertThat(va.stale()).isFalse();
        assertThat(va.member("n1").orElseThrow().address()).isEqualTo("127.0.0.1:9001");
    }
}
