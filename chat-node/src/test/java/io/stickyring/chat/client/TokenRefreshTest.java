package io.stickyring.chat.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.stickyring.chat.auth.TokenMinter;
import io.stickyring.chat.server.ChatNode;
import io.stickyring.chat.server.NodeConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Tokens in the Java client: a token that expires mid-session is replaced from the application's
 * {@code tokenSupplier} when the node refuses it (close 1008 / HTTP 401), never by dev login; a
 * client with no credentials at all is refused when built. The node runs without dev login and
 * with no clock skew, so a token is refused the second its {@code exp} has passed.
 */
@Timeout(120)
class TokenRefreshTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T t) {
        closeables.add(t);
        return t;
    }

    private ChatNode productionNode(int port) throws Exception {
        return ChatNode.start(NodeConfig.defaults("127.0.0.1", port, "n1", "sqlite:" + dir.resolve("n.db"), Nodes.SECRET).with(b -> {
            b.ioThreads = 1;
            b.blockingThreads = 2;
            b.devLogin = false; // POST /api/login answers 404: an anonymous login could not succeed
            b.tokenClockSkew = Duration.ZERO;
            b.retryHintMin = Duration.ofMillis(50);
            b.retryHintMax = Duration.ofMillis(150);
        }).build());
    }

    @ParameterizedTest
    @EnumSource(value = ClientOptions.TransportMode.class, names = {"WEBSOCKET", "LONG_POLL"})
    void aTokenThatExpiresMidSessionIsReplacedFromTheSupplier(ClientOptions.TransportMode mode) throws Exception {
        ChatNode first = productionNode(0);
        int port = first.address().getPort();
        TokenMinter minter = TokenMinter.hs256(Nodes.SECRET, Clock.systemUTC());
        Instant now = Instant.now();
        Instant exp = now.plusSeconds(5);
        String shortLived = minter.mint("alice", now, exp, null, null);
        AtomicInteger asked = new AtomicInteger();
        ClientOptions o = ClientOptions.builder(URI.create("http://127.0.0.1:" + port), "alice")
                .token(shortLived)
                .tokenSupplier(() -> {
                    asked.incrementAndGet();
                    return CompletableFuture.completedFuture(minter.mint("alice", Duration.ofHours(1), null, null));
                })
                .transport(mode).pollWait(Duration.ofSeconds(1))
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).build();
        Recorder rec = new Recorder();
        ChatClient alice = keep(ChatClient.start(o, new MemoryOutbox(), rec));
        await().atMost(Duration.ofSeconds(20)).until(() -> alice.state() == ConnectionState.CONNECTED);
        assertThat(asked).hasValue(0); // the given token is used first

        // The token expires while the session runs (exp has second resolution: wait past it).
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> Instant.now().isAfter(exp.plusSeconds(1)));
        // The node restarts on the same port: the client reconnects with its expired token, is
        // refused (1008 / 401), asks the supplier, and is back with the fresh token.
        first.close();
        keep(productionNode(port));
        await().atMost(Duration.ofSeconds(30)).until(() -> alice.state() == ConnectionState.CONNECTED && alice.connects() >= 2);
        assertThat(asked).hasValue(1);
        assertThat(alice.tokenRefreshes()).isEqualTo(1);
        alice.send("dm:alice:bob", "after refresh");
        await().atMost(Duration.ofSeconds(20)).until(() -> alice.pendingCount() == 0);
    }

    @Test
    void aClientWithoutCredentialsIsRefusedUnlessDevLoginIsAskedFor() {
        URI uri = URI.create("http://127.0.0.1:1");
        assertThatThrownBy(() -> ClientOptions.builder(uri, "alice").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("client for user alice has no credentials: give token(JWT), tokenSupplier(...) (asked again after "
                        + "an expired-token close) or, for development nodes only, devLogin(true)");
        assertThat(ClientOptions.builder(uri, "alice").devLogin(true).build().devLogin()).isTrue();
        assertThat(ClientOptions.builder(uri, "alice").tokenSupplier(() -> CompletableFuture.completedFuture("t")).build()
                .devLogin()).isFalse();
    }

    @Test
    void aFixedTokenThatExpiredIsNeverSwappedForADevLogin() throws Exception {
        ChatNode node = keep(Nodes.start(dir.resolve("dev.db"), "n1", 0)); // dev login ON: a fallback would succeed
        TokenMinter minter = TokenMinter.hs256(Nodes.SECRET, Clock.systemUTC());
        Instant past = Instant.now().minusSeconds(3600);
        String expired = minter.mint("alice", past, past.plusSeconds(60), null, null);
        Recorder rec = new Recorder();
        ChatClient alice = keep(ChatClient.start(ClientOptions.builder(URI.create("http://127.0.0.1:" + node.address().getPort()), "alice")
                .token(expired).transport(ClientOptions.TransportMode.WEBSOCKET)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(50)).build(), new MemoryOutbox(), rec));
        // Refused again and again (1008), and never connected through a dev-login token.
        await().atMost(Duration.ofSeconds(20)).until(() -> rec.states.stream().filter(s -> s == ConnectionState.RECONNECTING).count() >= 3);
        assertThat(alice.info().lastCloseCode()).isEqualTo(1008);
        assertThat(alice.connects()).isZero();
        assertThat(alice.state()).isNotEqualTo(ConnectionState.CONNECTED);
    }
}
