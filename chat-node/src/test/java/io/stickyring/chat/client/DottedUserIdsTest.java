package io.stickyring.chat.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.chat.auth.TokenMinter;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.server.ChatNode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * User ids with '.' and '@' through the Java client, one with a token minted by a backend (HS256
 * with the cluster secret), one with dev login; over each transport. The old token format split on
 * every '.', so john.doe's token never verified and the client looped on 1008.
 */
@Timeout(120)
class DottedUserIdsTest {
    @TempDir
    Path dir;
    final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = ClientOptions.TransportMode.class, names = {"WEBSOCKET", "LONG_POLL"})
    void dottedAndEmailLikeIdsChat(ClientOptions.TransportMode mode) throws Exception {
        ChatNode node = Nodes.start(dir.resolve("n.db"), "n1", 0);
        closeables.add(node);
        URI uri = URI.create("http://127.0.0.1:" + node.address().getPort());
        String john = "john.doe";
        String x = "x@example.com";
        String minted = TokenMinter.hs256(Nodes.SECRET, Clock.systemUTC()).mint(john, Duration.ofHours(1), null, null);
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        ChatClient johnClient = ChatClient.start(ClientOptions.builder(uri, john).token(minted).transport(mode)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).build(), new MemoryOutbox(), a);
        closeables.add(johnClient);
        ChatClient xClient = ChatClient.start(ClientOptions.builder(uri, x).devLogin(true).transport(mode)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).build(), new MemoryOutbox(), b);
        closeables.add(xClient);
        await().atMost(Duration.ofSeconds(20)).until(() -> johnClient.state() == ConnectionState.CONNECTED
                && xClient.state() == ConnectionState.CONNECTED);
        String dm = Conversations.dmId(john, x);
        johnClient.send(dm, "hi x");
        xClient.send(dm, "hi john");
        await().atMost(Duration.ofSeconds(20)).until(() -> b.messages.stream().anyMatch(m -> m.from().equals(john))
                && a.messages.stream().anyMatch(m -> m.from().equals(x)));
        assertThat(b.messages.stream().filter(m -> m.from().equals(john)).map(ChatMessage::body)).containsExactly("hi x");
        assertThat(a.messages.stream().filter(m -> m.from().equals(x)).map(ChatMessage::body)).containsExactly("hi john");
        assertThat(a.states).as("never bounced on 1008").doesNotContain(ConnectionState.RECONNECTING);
    }
}
