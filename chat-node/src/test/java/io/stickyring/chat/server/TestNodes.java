package io.stickyring.chat.server;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Starts in-process nodes on 127.0.0.1:0 with a SQLite store under a test directory. */
final class TestNodes {
    static final byte[] SECRET = "test-secret-0123456789abcdef-0123456789".getBytes(StandardCharsets.UTF_8);

    private TestNodes() {
    }

    static NodeConfig.Builder config(Path dir, String id) {
        return NodeConfig.defaults("127.0.0.1", 0, id, "sqlite:" + dir.resolve(id + ".db"), SECRET)
                .with(b -> {
                    b.ioThreads = 2;
                    b.blockingThreads = 2;
                    b.devLogin = true; // in-process test nodes listen on loopback only
                });
    }

    static ChatNode start(Path dir, String id, Consumer<NodeConfig.Builder> change) throws Exception {
        return ChatNode.start(config(dir, id).with(change).build());
    }

    static ChatNode start(Path dir) throws Exception {
        return start(dir, "n1", b -> { });
    }
}
