package io.stickyring.chat.server;

import static io.stickyring.chat.server.WsClient.sendFrame;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.model.Conversations;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one machine sharing one SQLite file with {@code --bus sqlite}: users on different
 * nodes talk live, and a user who fails over to the other node resumes from its cursor.
 */
@Timeout(60)
class SharedSqliteNodesTest {
    @TempDir
    Path dir;

    @Test
    void usersOnDifferentNodesTalkAndFailOverWithTheirCursor() throws Exception {
        String db = "sqlite:" + dir.resolve("shared.db");
        String dm = Conversations.dmId("alice", "bob");
        try (ChatNode a = TestNodes.start(dir, "a", b -> {
            b.store = db;
            b.bus = "sqlite";
        }); ChatNode bNode = TestNodes.start(dir, "b", b -> {
            b.store = db;
            b.bus = "sqlite";
        })) {
            WsClient alice = WsClient.login(a, "alice", 0);
            WsClient bob = WsClient.login(bNode, "bob", 0);
            alice.next("synced");
            bob.next("synced");
            alice.send(sendFrame("x1", dm, "from node a"));
            alice.until("ack");
            JsonNode m = bob.next("msg");
            assertThat(m.get("body").asText()).isEqualTo("from node a");
            assertThat(m.get("cursor").asLong()).isEqualTo(1);
            bob.send(sendFrame("y1", dm, "from node b"));
            bob.until("ack");
            assertThat(bob.next("msg").get("id").asText()).isEqualTo("y1");
            // alice sees her own message, then bob's (committed on node b, pushed through the tail).
            JsonNode own = alice.next("msg");
            JsonNode fromB = alice.next("msg");
            assertThat(own.get("id").asText()).isEqualTo("x1");
            assertThat(fromB.get("id").asText()).isEqualTo("y1");
            assertThat(fromB.get("cursor").asLong()).isEqualTo(2);

            // bob's node goes away; he reconnects to node a with his cursor and misses nothing.
            bob.close();
            alice.send(sendFrame("x2", dm, "while bob moves"));
            alice.until("ack");
            WsClient bobOnA = WsClient.login(a, "bob", 2);
            List<JsonNode> replay = bobOnA.until("synced");
            assertThat(replay.stream().filter(n -> n.get("t").asText().equals("msg")).map(n -> n.get("id").asText()))
                    .containsExactly("x2");
            alice.close();
            bobOnA.close();
        }
    }
}
