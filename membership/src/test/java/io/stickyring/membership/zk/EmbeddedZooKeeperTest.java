package io.stickyring.membership.zk;

import static io.stickyring.membership.zk.ZkHarness.member;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmbeddedZooKeeperTest {

    @TempDir
    Path dir;

    @Test
    void servesMembershipAndKeepsPersistentDataAcrossRestarts() throws Exception {
        EmbeddedZooKeeper.Config config = EmbeddedZooKeeper.Config.of(dir.resolve("zk")).withPort(0).withTickTime(Duration.ofMillis(100));
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(config)) {
            assertThat(zk.port()).isPositive();
            assertThat(zk.connectString()).isEqualTo("127.0.0.1:" + zk.port());
            ZkSettings settings = ZkHarness.settings(zk.connectString(), "dev");
            try (ZkMemberRegistration registration = ZkMemberRegistration.create(settings, member("n1", 9001));
                 ZkMembershipWatcher watcher = ZkMembershipWatcher.create(settings)) {
                registration.start();
                watcher.start();
                assertThat(watcher.awaitFirstView(Duration.ofSeconds(15)).orElseThrow().members()).hasSize(1);
            }
        }
        try (Stream<Path> files = Files.list(dir.resolve("zk").resolve("version-2"))) {
            assertThat(files.map(p -> p.getFileName().toString())).anyMatch(name -> name.startsWith("log."));
        }
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(config);
             CuratorFramework client = ZkHarness.startedClient(ZkHarness.settings(zk.connectString(), "dev"))) {
            // The persistent parent survived; the ephemeral member went with its session.
            assertThat(client.getChildren().forPath("/stickyring/dev")).isEqualTo(List.of("members"));
            assertThat(client.getChildren().forPath("/stickyring/dev/members")).isEmpty();
        }
        try (Stream<Path> files = Files.list(dir.resolve("zk"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("version-2");
        }
    }

    @Test
    void namesThePortWhenItIsTaken() throws Exception {
        try (EmbeddedZooKeeper first = EmbeddedZooKeeper.start(EmbeddedZooKeeper.Config.of(dir.resolve("a")).withPort(0))) {
            EmbeddedZooKeeper.Config clash = EmbeddedZooKeeper.Config.of(dir.resolve("b")).withPort(first.port())
                    .withTickTime(Duration.ofMillis(100)).withStartTimeout(Duration.ofSeconds(5));
            assertThatThrownBy(() -> EmbeddedZooKeeper.start(clash)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("127.0.0.1:" + first.port()).hasMessageContaining("port in use");
        }
    }

    @Test
    void rejectsBadConfigNamingTheValue() {
        assertThatThrownBy(() -> EmbeddedZooKeeper.Config.of(dir).withPort(70000)).hasMessageContaining("port (70000)");
        assertThatThrownBy(() -> EmbeddedZooKeeper.Config.of(dir).withTickTime(Duration.ZERO)).hasMessageContaining("tickTime (0 ms)");
        assertThatThrownBy(() -> EmbeddedZooKeeper.Config.of(dir).withHost(" ")).hasMessageContaining("host ( )");
    }
}
