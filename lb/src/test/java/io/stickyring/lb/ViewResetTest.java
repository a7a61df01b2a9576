package io.stickyring.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.lb.route.MemberRuntime;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.membership.Member;
import io.stickyring.membership.zk.MemberPayload;
import io.stickyring.membership.zk.ZkSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One owner of view order: after a ZooKeeper data reset the watcher publishes a view with a lower
 * version ("availability wins"), and the LB applies it instead of dropping it as late.
 */
@Timeout(120)
class ViewResetTest {

    private final LbHarness h = new LbHarness();
    private TestingServer zk;

    @AfterEach
    void stop() throws Exception {
        h.close();
        if (zk != null) {
            zk.close();
        }
    }

    private static ZkSettings settings(int port) {
        return ZkSettings.of("127.0.0.1:" + port, "reset").withSessionTimeout(Duration.ofMillis(1500))
                .withConnectionTimeout(Duration.ofMillis(1000)).withRetry(Duration.ofMillis(50), Duration.ofMillis(200), 3);
    }

    private static TestingServer server(int port, Path dir) throws Exception {
        return new TestingServer(new InstanceSpec(dir.toFile(), port, -1, -1, true, -1, 100, -1), true);
    }

    /**
     * Writes {@code m}'s znode (persistent, so it does not depend on this client's session) after
     * {@code padding} transactions, so the old ensemble's zxids are large. With {@code churn} the
     * padding creates and deletes a scratch member (the members node's child version grows); without
     * it the padding rewrites a node elsewhere (the members node's child version stays 1).
     */
    private static void write(int port, Member m, int padding, boolean churn) throws Exception {
        try (CuratorFramework c = settings(port).newClient()) {
            c.start();
            c.blockUntilConnected();
            String scratch = ZkSettings.memberPath("reset", "scratch");
            for (int i = 0; i < padding; i++) {
                if (churn) {
                    c.create().creatingParentsIfNeeded().forPath(scratch, new byte[0]);
                    c.delete().forPath(scratch);
                } else {
                    c.create().orSetData().forPath("/padding", new byte[] {(byte) i});
                }
            }
            c.create().creatingParentsIfNeeded().forPath(ZkSettings.memberPath("reset", m.id()),
                    new MemberPayload(m, "").encode());
        }
    }

    @Test
    void afterAZooKeeperDataResetTheLbFollowsTheNewLowerVersionedView() throws Exception {
        resetAndFollow(true);
    }

    /**
     * The same reset where the members node has the same child version (cversion) before and after:
     * Curator's CuratorCache then skips re-listing its children, so the watcher must reload the cache
     * itself when it stays behind ZooKeeper's child list.
     */
    @Test
    void aResetWithAnEqualChildVersionIsFollowedToo() throws Exception {
        resetAndFollow(false);
    }

    private void resetAndFollow(boolean churn) throws Exception {
        int port = InstanceSpec.getRandomPort();
        zk = server(port, Files.createTempDirectory("zk-before"));
        Member before = h.backend("before", false).member();
        Member after = h.backend("after", false).member();
        write(port, before, 25, churn); // the old ensemble's history is long: its zxids are large
        LoadBalancer lb = h.startZk(settings(port), b -> { });
        await().atMost(Duration.ofSeconds(20)).until(() -> ringIds(lb).equals("before"));
        long oldVersion = lb.router().table().view().version();

        // the ensemble's data is wiped: same address, empty data directory, zxids start again
        zk.close();
        zk = server(port, Files.createTempDirectory("zk-after"));
        write(port, after, 0, churn);

        await().atMost(Duration.ofSeconds(30)).until(() -> ringIds(lb).equals("after"));
        assertThat(lb.router().table().view().version()).isLessThan(oldVersion);
        assertThat(lb.router().member("before")).isNull();
    }

    private static String ringIds(LoadBalancer lb) {
        StringBuilder sb = new StringBuilder();
        for (MemberRuntime m : lb.router().table().ring()) {
            sb.append(sb.length() == 0 ? "" : ",").append(m.id());
        }
        return sb.toString();
    }
}
