package io.stickyring.chat.client;

import io.stickyring.chat.server.ChatNode;
import io.stickyring.chat.server.NodeConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/** In-process chat nodes for client tests (SQLite under a temp dir, short retry hints). */
final class Nodes {
    static final byte[] SECRET = "client-test-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);

    private Nodes() {
    }

    static ChatNode start(Path db, String id, int port) throws Exception {
        return ChatNode.start(NodeConfig.defaults("127.0.0.1", port, id, "sqlite:" + db, SECRET).with(b -> {
            b.ioThreads = 1;
            b.blockingThreads = 2;
            b.devLogin = true; // the client logs in through POST /api/login unless given a token
            b.ratePerSecond = 100_000;
            b.rateBurst = 100_000;
            b.retryHintMin = Duration.ofMillis(50);
            b.retryHintMax = Duration.ofMillis(150);
        }).build());
    }
}
