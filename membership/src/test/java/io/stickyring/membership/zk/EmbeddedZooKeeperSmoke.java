package io.stickyring.membership.zk;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Child-process entry for {@link EmbeddedZooKeeperRuntimeTest}: starts a server on a free port,
 * prints {@code connect=...}, stops it and exits 0. Runs on the production runtime classpath.
 */
public final class EmbeddedZooKeeperSmoke {

    private EmbeddedZooKeeperSmoke() {
    }

    public static void main(String[] args) {
        EmbeddedZooKeeper.Config config = EmbeddedZooKeeper.Config.of(Path.of(args[0])).withPort(0).withStartTimeout(Duration.ofSeconds(20));
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(config)) {
            System.out.println("connect=" + zk.connectString());
        }
        System.exit(0);
    }
}
