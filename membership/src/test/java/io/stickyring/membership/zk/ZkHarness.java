package io.stickyring.membership.zk;

import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.MembershipView;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/** Shared test fixtures: fast-ticking ZooKeeper servers, short-session clients, view recorders. */
final class ZkHarness {

    /** 100 ms ticks: the server accepts session timeouts of 200 ms .. 2 s, so expiry tests stay fast. */
    static final int TICK_MILLIS = 100;
    static final Duration SESSION = Duration.ofMillis(1500);

    private ZkHarness() {
    }

    static InstanceSpec spec() {
        return new InstanceSpec(null, -1, -1, -1, true, -1, TICK_MILLIS, -1);
    }

    static TestingServer server() throws Exception {
        return new TestingServer(spec(), true);
    }

    static ZkSettings settings(String connect, String cluster) {
        return ZkSettings.of(connect, cluster)
                .withSessionTimeout(SESSION)
                .withConnectionTimeout(Duration.ofMillis(1000))
                .withRetry(Duration.ofMillis(50), Duration.ofMillis(200), 3);
    }

    static CuratorFramework startedClient(ZkSettings settings) {
        CuratorFramework client = settings.newClient();
        client.start();
        return client;
    }

    static Member member(String id, int port) {
        return new Member(id, "127.0.0.1", port, 1, MemberState.ACTIVE, "z1", System.currentTimeMillis(), "test");
    }

    /** Records every view a source publishes, in order. */
    static final class Recorder implements Consumer<MembershipView> {
        final List<MembershipView> views = new CopyOnWriteArrayList<>();

        @Override
        public void accept(MembershipView view) {
            views.add(view);
        }

        MembershipView last() {
            return views.isEmpty() ? null : views.get(views.size() - 1);
        }

        List<String> lastIds() {
            MembershipView last = last();
            return last == null ? List.of() : last.members().stream().map(Member::id).toList();
        }
    }
}
