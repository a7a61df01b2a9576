package io.stickyring.chat.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.chat.model.Conversation;
import io.stickyring.chat.model.RejectedException;
import io.stickyring.chat.model.SendRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backstop for a lost leave notice: two stores on one SQLite file (as with {@code --bus
 * sqlite}, which carries no group notices) where one takes a leave; the other's cached member list
 * still has the leaver until its periodic sweep ({@link JdbcMessageStore#GROUP_CACHE_TTL_NANOS},
 * 10 s), after which it refuses the leaver's sends too.
 */
@Timeout(60)
class GroupCacheSweepTest {
    @TempDir
    Path dir;

    private static boolean refused(MessageStore s, String conv) {
        try {
            s.append(new SendRequest("bob", java.util.UUID.randomUUID().toString(), conv, "x")).join();
            return false;
        } catch (CompletionException e) {
            return e.getCause() instanceof RejectedException r && r.code().equals("not_member");
        }
    }

    @Test
    void anotherProcessesLeaveIsSeenWithinTheSweepInterval() {
        Path db = dir.resolve("chat.db");
        try (SqliteMessageStore a = new SqliteMessageStore(SqliteMessageStore.Config.defaults(db));
             SqliteMessageStore b = new SqliteMessageStore(SqliteMessageStore.Config.defaults(db))) {
            Conversation g = a.createGroup("alice", Set.of("bob"), "pair").join();
            assertThat(b.conversation(g.id()).orElseThrow().members()).contains("bob"); // b caches it
            a.leaveGroup(g.id(), "bob").join();
            assertThat(refused(a, g.id())).isTrue();
            await().atMost(Duration.ofSeconds(25)).pollInterval(Duration.ofMillis(200))
                    .until(() -> !b.conversation(g.id()).orElseThrow().hasMember("bob"));
            assertThat(refused(b, g.id())).isTrue();
        }
    }
}
