package io.stickyring.chat.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.chat.server.ChatNode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The client against a real in-process chat node. */
@Timeout(120)
class ChatClientTest {
    @TempDir
    Path dir;
    final List<AutoCloseable> closeables = new ArrayList<>();

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

    private static URI uri(ChatNode n) {
        return URI.create("http://127.0.0.1:" + n.address().getPort());
    }

    private ChatClient client(ChatNode n, String user, Recorder rec, ClientOptions.TransportMode mode) throws Exception {
        ClientOptions o = ClientOptions.builder(uri(n), user).devLogin(true).transport(mode)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).build();
        return keep(ChatClient.start(o, FileOutbox.open(dir.resolve("outbox-" + user)), rec));
    }

    @Test
    void sendsAreAckedDeliveredInOrderAndLeaveTheOutbox() throws Exception {
        ChatNode node = keep(Nodes.start(dir.resolve("n.db"), "n1", 0));
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        ChatClient alice = client(node, "alice", a, ClientOptions.TransportMode.WEBSOCKET);
        ChatClient bob = client(node, "bob", b, ClientOptions.TransportMode.WEBSOCKET);
        await().atMost(Duration.ofSeconds(20)).until(() -> alice.state() == ConnectionState.CONNECTED
                && bob.state() == ConnectionState.CONNECTED);
        assertThat(alice.info().node()).isEqualTo("n1");
        assertThat(alice.info().clientIp()).isEqualTo("127.0.0.1");
        for (int i = 0; i < 30; i++) {
            alice.send("dm:alice:bob", "m" + i);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> b.messages.size() == 30 && a.acks.size() == 30);
        assertThat(b.bodies()).containsExactlyElementsOf(IntStream.range(0, 30).mapToObj(i -> "m" + i).toList());
        assertThat(alice.pendingCount()).isZero();
        // the sender's own inbox holds its messages too (other devices)
        await().atMost(Duration.ofSeconds(10)).until(() -> a.messages.size() == 30);
        bob.read("dm:alice:bob", 30);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.receipts.contains("dm:alice:bob:bob:30"));
    }

    @Test
    void resendingAnIdDeliversOnceAndRestartedClientResumesFromItsCursor() throws Exception {
        ChatNode node = keep(Nodes.start(dir.resolve("n.db"), "n1", 0));
        Recorder b = new Recorder();
        ChatClient bob = client(node, "bob", b, ClientOptions.TransportMode.WEBSOCKET);
        Recorder a = new Recorder();
        ChatClient alice = client(node, "alice", a, ClientOptions.TransportMode.WEBSOCKET);
        alice.send("fixed-id-1", "dm:alice:bob", "once");
        alice.send("fixed-id-1", "dm:alice:bob", "once");
        await().atMost(Duration.ofSeconds(20)).until(() -> a.acks.size() >= 1 && b.messages.size() == 1);
        alice.send("fixed-id-1", "dm:alice:bob", "once again"); // after the ack: server answers the original ack
        alice.send("dm:alice:bob", "second");
        await().atMost(Duration.ofSeconds(20)).until(() -> b.messages.size() == 2);
        assertThat(b.bodies()).containsExactly("once", "second");
        long cursor = bob.cursor();
        closeables.remove(bob);
        bob.close();
        alice.send("dm:alice:bob", "while bob was away");
        await().atMost(Duration.ofSeconds(20)).until(() -> alice.pendingCount() == 0);
        Recorder b2 = new Recorder();
        client(node, "bob", b2, ClientOptions.TransportMode.WEBSOCKET);
        await().atMost(Duration.ofSeconds(20)).until(() -> b2.messages.size() == 1);
        assertThat(b2.messages.get(0).body()).isEqualTo("while bob was away");
        assertThat(b2.messages.get(0).cursor()).isEqualTo(cursor + 1);
    }

    @Test
    void nodeRestartCloses1012AndQueuedMessagesAreDeliveredOnceAfterReconnect() throws Exception {
        Path db = dir.resolve("n.db");
        ChatNode node = Nodes.start(db, "n1", 0);
        int port = node.address().getPort();
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        ChatClient alice = client(node, "alice", a, ClientOptions.TransportMode.WEBSOCKET);
        ChatClient bob = client(node, "bob", b, ClientOptions.TransportMode.WEBSOCKET);
        await().atMost(Duration.ofSeconds(20)).until(() -> alice.state() == ConnectionState.CONNECTED
                && bob.state() == ConnectionState.CONNECTED);
        for (int i = 0; i < 10; i++) {
            alice.send("dm:alice:bob", "before " + i);
        }
        node.close(); // 1012 with a retry hint, possibly while sends are in flight
        await().atMost(Duration.ofSeconds(20)).until(() -> alice.state() != ConnectionState.CONNECTED);
        for (int i = 0; i < 10; i++) {
            alice.send("dm:alice:bob", "during " + i);
        }
        assertThat(alice.pendingCount()).isGreaterThanOrEqualTo(10);
        ChatNode again = keep(Nodes.start(db, "n2", port));
        await().atMost(Duration.ofSeconds(30)).until(() -> alice.pendingCount() == 0 && b.messages.size() == 20);
        Set<String> bodies = b.messages.stream().map(ChatMessage::body).collect(Collectors.toSet());
        assertThat(bodies).hasSize(20);
        assertThat(b.bodies()).containsSubsequence("during 0", "during 9");
        assertThat(alice.info().node()).isEqualTo("n2");
        assertThat(a.states).contains(ConnectionState.RECONNECTING);
        assertThat(again.metrics()).isNotNull();
    }

    @Test
    void fallsBackToLongPollingWhenWebSocketsFail() throws Exception {
        ChatNode node = keep(Nodes.start(dir.resolve("n.db"), "n1", 0));
        Recorder a = new Recorder();
        ClientOptions o = ClientOptions.builder(uri(node), "alice").devLogin(true).wsPath("/no-websocket-here")
                .wsFailuresBeforeFallback(2).backoff(Duration.ofMillis(10), Duration.ofMillis(50))
                .pollWait(Duration.ofSeconds(2)).build();
        ChatClient alice = keep(ChatClient.start(o, new MemoryOutbox(), a));
        Recorder b = new Recorder();
        ChatClient bob = client(node, "bob", b, ClientOptions.TransportMode.WEBSOCKET);
        await().atMost(Duration.ofSeconds(20)).until(() -> alice.state() == ConnectionState.CONNECTED
                && bob.state() == ConnectionState.CONNECTED);
        assertThat(alice.info().transport()).isEqualTo("long-poll");
        assertThat(alice.info().node()).isEqualTo("n1");
        alice.send("dm:alice:bob", "over http");
        await().atMost(Duration.ofSeconds(20)).until(() -> a.acks.size() == 1);
        bob.send("dm:alice:bob", "back over ws");
        await().atMost(Duration.ofSeconds(20)).until(() -> b.messages.size() == 2 && a.messages.size() == 2);
        assertThat(a.bodies()).containsExactly("over http", "back over ws");
        assertThat(alice.pendingCount()).isZero();
    }

    @Test
    void createsAGroupAndTalksInIt() throws Exception {
        ChatNode node = keep(Nodes.start(dir.resolve("n.db"), "n1", 0));
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        Recorder c = new Recorder();
        ChatClient alice = client(node, "alice", a, ClientOptions.TransportMode.WEBSOCKET);
        client(node, "bob", b, ClientOptions.TransportMode.WEBSOCKET);
        client(node, "carol", c, ClientOptions.TransportMode.WEBSOCKET);
        String g = alice.createGroup(List.of("bob", "carol"), "team").get();
        assertThat(g).startsWith("g:");
        alice.send(g, "hello team");
        await().atMost(Duration.ofSeconds(20)).until(() -> b.messages.size() == 1 && c.messages.size() == 1);
        assertThat(c.messages.get(0).conv()).isEqualTo(g);
    }

    @Test
    void anUnreachableServerIsRetriedOverWebSocketNotTakenForABrokenUpgrade() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Recorder a = new Recorder();
        ClientOptions o = ClientOptions.builder(URI.create("http://127.0.0.1:" + port), "alice")
                .token(new io.stickyring.chat.auth.TokenService(Nodes.SECRET, Duration.ofHours(1),
                        java.time.Clock.systemUTC()).issue("alice"))
                .wsFailuresBeforeFallback(1).backoff(Duration.ofMillis(10), Duration.ofMillis(50)).build();
        ChatClient alice = keep(ChatClient.start(o, new MemoryOutbox(), a));
        await().atMost(Duration.ofSeconds(20)).until(() -> a.states.stream()
                .filter(s -> s == ConnectionState.RECONNECTING).count() >= 3);
        keep(Nodes.start(dir.resolve("n.db"), "n1", port));
        await().atMost(Duration.ofSeconds(20)).until(() -> alice.state() == ConnectionState.CONNECTED);
        assertThat(alice.info().transport()).isEqualTo("websocket");
    }

    @Test
    void reachingANodeWithAnotherStoreContinuesFromItsHeadInsteadOfDroppingEverything() throws Exception {
        ChatNode first = Nodes.start(dir.resolve("first.db"), "n1", 0);
        int port = first.address().getPort();
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        ChatClient alice = client(first, "alice", a, ClientOptions.TransportMode.WEBSOCKET);
        ChatClient bob = client(first, "bob", b, ClientOptions.TransportMode.WEBSOCKET);
        for (int i = 0; i < 5; i++) {
            bob.send("dm:alice:bob", "old " + i);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> a.messages.size() == 5 && bob.pendingCount() == 0);
        first.close();
        // the node that takes over has a store of its own (the embedded demo: one SQLite per node)
        keep(Nodes.start(dir.resolve("second.db"), "n2", port));
        await().atMost(Duration.ofSeconds(20)).until(() -> "n2".equals(alice.info().node())
                && alice.state() == ConnectionState.CONNECTED && bob.state() == ConnectionState.CONNECTED);
        bob.send("dm:alice:bob", "new 0");
        bob.send("dm:alice:bob", "new 1");
        await().atMost(Duration.ofSeconds(20)).until(() -> a.messages.size() == 7);
        assertThat(a.bodies()).endsWith("new 0", "new 1");
        assertThat(alice.inboxResets()).isEqualTo(1);
        assertThat(alice.cursor()).isEqualTo(2);
    }

    @Test
    void aMemberWhoLeftAGroupHasItsSendsRefused() throws Exception {
        ChatNode node = keep(Nodes.start(dir.resolve("n.db"), "n1", 0));
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        ChatClient alice = client(node, "alice", a, ClientOptions.TransportMode.WEBSOCKET);
        ChatClient bob = client(node, "bob", b, ClientOptions.TransportMode.WEBSOCKET);
        String g = alice.createGroup(List.of("bob"), "pair").get(20, java.util.concurrent.TimeUnit.SECONDS);
        bob.leaveGroup(g).get(20, java.util.concurrent.TimeUnit.SECONDS);
        String id = bob.send(g, "gone");
        await().atMost(Duration.ofSeconds(20)).until(() -> b.failed.contains(id + ":not_member"));
        assertThat(bob.pendingCount()).isZero();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> bob.leaveGroup(g).get(20, java.util.concurrent.TimeUnit.SECONDS))
                .hasMessageContaining("403").hasMessageContaining("not_member");
    }
}
