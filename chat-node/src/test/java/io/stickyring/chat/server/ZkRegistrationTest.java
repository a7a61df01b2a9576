package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.membership.MemberState;
import io.stickyring.membership.MembershipView;
import io.stickyring.membership.zk.ZkMembershipWatcher;
import io.stickyring.membership.zk.ZkSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** With --zk the node registers ACTIVE, publishes DRAINING on shutdown, closes sessions with 1012, then leaves. */
@Timeout(90)
class ZkRegistrationTest {
    @TempDir
    Path dir;

    @Test
    void registersDrainsAndLeaves() throws Exception {
        try (TestingServer zk = new TestingServer(true);
             ZkMembershipWatcher watcher = ZkMembershipWatcher.create(ZkSettings.of(zk.getConnectString(), "chat"))) {
            watcher.start();
            ChatNode node = TestNodes.start(dir, "node-a", b -> {
                b.zk = zk.getConnectString();
                b.cluster = "chat";
                b.weight = 7;
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> memberState(watcher, "node-a").equals(Optional.of(MemberState.ACTIVE)));
            MembershipView view = watcher.current().orElseThrow();
            var me = view.members().stream().filter(m -> m.id().equals("node-a")).findFirst().orElseThrow();
            assertThat(me.port()).isEqualTo(node.address().getPort());
            assertThat(me.host()).isEqualTo("127.0.0.1");
            assertThat(me.weight()).isEqualTo(7);

            WsClient c = WsClient.login(node, "alice", 0);
            c.next("synced");
            Thread t = new Thread(() -> node.shutdown(Duration.ofSeconds(2)));
            t.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> memberState(watcher, "node-a").equals(Optional.of(MemberState.DRAINING)));
            // Still serving while draining.
            assertThat(c.isOpen()).isTrue();
            assertThat(c.awaitClose().code()).isEqualTo(1012);
            await().atMost(Duration.ofSeconds(20)).until(() -> memberState(watcher, "node-a").isEmpty());
            t.join(20_000);
        }
    }

    private static Optional<MemberState> memberState(ZkMembershipWatcher w, String id) {
        return w.current().flatMap(v -> v.members().stream().filter(m -> m.id().equals(id)).findFirst()).map(m -> m.state());
    }
}
