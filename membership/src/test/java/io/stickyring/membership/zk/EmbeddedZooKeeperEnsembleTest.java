package io.stickyring.membership.zk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link EmbeddedZooKeeper} as one member of a 3-server quorum (ZooKeeper's own QuorumPeerMain). */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EmbeddedZooKeeperEnsembleTest {

    @TempDir
    Path dir;

    @Test
    void threeEmbeddedServersFormAQuorumThatSurvivesOneStoppedServer() throws Exception {
        EmbeddedZooKeeper.Ensemble shape = EmbeddedZooKeeper.Ensemble.parse(1, freeSpec(3));
        List<EmbeddedZooKeeper> servers = new ArrayList<>();
        try {
            for (int id = 1; id <= 3; id++) {
                EmbeddedZooKeeper.Config config = EmbeddedZooKeeper.Config.of(dir.resolve("zk" + id)).withTickTime(Duration.ofMillis(200));
                servers.add(EmbeddedZooKeeper.start(config, new EmbeddedZooKeeper.Ensemble(id, shape.servers())));
                assertThat(Files.readString(dir.resolve("zk" + id).resolve("myid"))).isEqualTo(Integer.toString(id));
            }
            assertThat(servers.get(1).connectString()).isEqualTo(shape.servers().get(1).host() + ":" + shape.servers().get(1).clientPort());
            // Written through server 1, read through server 3: one replicated tree, not three standalone ones.
            try (CuratorFramework one = client(servers.get(0).connectString())) {
                one.create().creatingParentsIfNeeded().forPath("/stickyring/q", "quorum".getBytes(StandardCharsets.UTF_8));
            }
            try (CuratorFramework three = client(servers.get(2).connectString())) {
                three.sync().forPath("/stickyring/q");
                assertThat(new String(three.getData().forPath("/stickyring/q"), StandardCharsets.UTF_8)).isEqualTo("quorum");
            }
            servers.get(0).close();
            try (CuratorFramework rest = client(shape.connectString())) {
                rest.create().forPath("/stickyring/after", new byte[0]);
                assertThat(rest.getChildren().forPath("/stickyring")).containsExactlyInAnyOrder("q", "after");
            }
        } finally {
            servers.forEach(EmbeddedZooKeeper::close);
        }
    }

    @Test
    void badEnsembleSpecsAreNamed() {
        assertThatThrownBy(() -> EmbeddedZooKeeper.Ensemble.parse(4, "h:1:2:3,h:4:5:6,h:7:8:9"))
                .hasMessageContaining("server id (4) must be in 1..3");
        assertThatThrownBy(() -> EmbeddedZooKeeper.Ensemble.parse(1, "h:1:2")).hasMessageContaining("ensemble server (h:1:2)");
        assertThatThrownBy(() -> EmbeddedZooKeeper.Ensemble.parse(1, "h:1:x:3")).hasMessageContaining("(h:1:x:3) has a port");
        assertThatThrownBy(() -> EmbeddedZooKeeper.Ensemble.parse(1, "h:1:1:3")).hasMessageContaining("three different ports");
        assertThatThrownBy(() -> EmbeddedZooKeeper.Ensemble.parse(1, "h:1:2:70000")).hasMessageContaining("clientPort (70000)");
        assertThatThrownBy(() -> EmbeddedZooKeeper.Ensemble.parse(1, " , ")).hasMessageContaining("at least one server");
        EmbeddedZooKeeper.Ensemble ok = EmbeddedZooKeeper.Ensemble.parse(2, "a:1:2:3, b:4:5:6");
        assertThat(ok.self().host()).isEqualTo("b");
        assertThat(ok.connectString()).isEqualTo("a:3,b:6");
    }

    static String freeSpec(int n) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int[] ports = freePorts(3);
            sb.append(i == 0 ? "" : ",").append("127.0.0.1:").append(ports[0]).append(':').append(ports[1]).append(':').append(ports[2]);
        }
        return sb.toString();
    }

    private static int[] freePorts(int n) throws IOException {
        // Held together so the three differ; a race with another process for them is possible but unlikely.
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0);
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    private static CuratorFramework client(String connect) throws InterruptedException {
        CuratorFramework client = CuratorFrameworkFactory.newClient(connect, 5000, 5000, new RetryOneTime(200));
        client.start();
        assertThat(client.blockUntilConnected(30, TimeUnit.SECONDS)).as("connected to " + connect).isTrue();
        return client;
    }
}
