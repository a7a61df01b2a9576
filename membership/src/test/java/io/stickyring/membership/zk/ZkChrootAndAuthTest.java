package io.stickyring.membership.zk;

import static io.stickyring.membership.zk.ZkHarness.member;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.stickyring.membership.MemberState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Settings end to end: a chroot keeps everything under it, digest auth locks out other users. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZkChrootAndAuthTest {

    @Test
    void chrootAndDigestAuthWorkEndToEnd() throws Exception {
        try (TestingServer server = ZkHarness.server()) {
            ZkSettings settings = ZkHarness.settings(server.getConnectString() + "/teams/chat", "prod").withDigestAuth("lb:pw");
            ZkHarness.Recorder recorder = new ZkHarness.Recorder();
            try (ZkMemberRegistration registration = ZkMemberRegistration.create(settings, member("n1", 9001));
                 ZkMembershipWatcher watcher = ZkMembershipWatcher.create(settings);
                 CuratorFramework adminClient = ZkHarness.startedClient(settings);
                 CuratorFramework anonymous = ZkHarness.startedClient(ZkHarness.settings(server.getConnectString(), "prod"));
                 CuratorFramework rootView = ZkHarness.startedClient(
                         ZkHarness.settings(server.getConnectString(), "prod").withDigestAuth("lb:pw"));
                 CuratorFramework stranger = ZkHarness.startedClient(
                         ZkHarness.settings(server.getConnectString(), "prod").withDigestAuth("someone:else"))) {
                registration.start();
                watcher.addListener(recorder);
                watcher.start();
                await().atMost(Duration.ofSeconds(15)).until(() -> recorder.lastIds().equals(List.of("n1")));

                String absolute = "/teams/chat/stickyring/prod/members/n1";
                // The chroot holds the whole layout; the same user sees it from the root.
                assertThat(MemberPayload.decode("n1", rootView.getData().forPath(absolute)).instance()).isEqualTo(registration.instanceId());
                assertThatThrownBy(() -> anonymous.getData().forPath(absolute)).isInstanceOf(KeeperException.NoAuthException.class);
                assertThatThrownBy(() -> stranger.getData().forPath(absolute)).isInstanceOf(KeeperException.NoAuthException.class);

                new ZkMembershipAdmin(adminClient, "prod").drain("n1");
                await().atMost(Duration.ofSeconds(15)).until(() -> recorder.last().members().get(0).state() == MemberState.DRAINING);
            }
        }
    }
}
