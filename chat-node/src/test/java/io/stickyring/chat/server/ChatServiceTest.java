package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.chat.bus.BusEvent;
import io.stickyring.chat.model.Ack;
import io.stickyring.chat.model.Conversations;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The send path owned by the service: append, ack, then fan-out, with no adapter in between; one cache fill per delivery. */
@Timeout(30)
class ChatServiceTest {
    static final String DM = Conversations.dmId("alice", "bob");

    @TempDir
    Path dir;
    EmbeddedNode node;
    final List<String> seen = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        node = new EmbeddedNode(dir, b -> { });
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private SessionRegistry.Listener recorder(String name) {
        return e -> {
            if (e instanceof BusEvent.Delivery d) {
                seen.add(name + " " + d.cursor() + " " + d.message().id());
            }
        };
    }

    @Test
    void sendPublishesTheDeliveriesItselfAfterCompletingTheAck() {
        node.service.registry().attach("bob", recorder("bob"));
        node.service.registry().attach("alice", recorder("alice"));
        Queue<Runnable> callersLoop = new ArrayDeque<>();
        CompletableFuture<Ack> ack = node.service.send("alice", "a1", DM, "hi", callersLoop::add);
        ack.thenAccept(a -> seen.add("ack " + a.seq()));
        assertThat(seen).as("nothing before the commit").isEmpty();
        node.held.release();
        assertThat(ack).isCompleted();
        assertThat(seen).as("the commit thread completes the ack and publishes nothing").containsExactly("ack 1");
        assertThat(callersLoop).hasSize(1);
        callersLoop.poll().run();
        assertThat(seen.subList(1, seen.size())).containsExactlyInAnyOrder("bob 1 a1", "alice 1 a1");
    }

    @Test
    void aResendIsAckedAgainAndPublishesNothing() {
        node.service.registry().attach("bob", recorder("bob"));
        CompletableFuture<Ack> first = node.service.send("alice", "a1", DM, "hi", Runnable::run);
        node.held.release();
        CompletableFuture<Ack> again = node.service.send("alice", "a1", DM, "hi", Runnable::run);
        node.held.release();
        assertThat(again.join()).isEqualTo(first.join());
        assertThat(seen).containsExactly("bob 1 a1");
    }

    @Test
    void eachDeliveryFillsTheRecentCacheOnce() {
        // bob listens here (filled when the bus brings his delivery), alice does not (filled at append).
        node.service.registry().attach("bob", recorder("bob"));
        long before = node.service.cacheFills();
        node.service.send("alice", "a1", DM, "hi", Runnable::run);
        node.held.release();
        assertThat(seen).containsExactly("bob 1 a1");
        assertThat(node.service.cacheFills() - before).as("one fill per member's delivery").isEqualTo(2);
        // Both are served from memory afterwards.
        assertThat(node.service.readInbox("alice", 0, 10).join().cached()).isTrue();
        assertThat(node.service.readInbox("bob", 0, 10).join().cached()).isTrue();
    }

    @Test
    void anHttpSendReachesAWebSocketRecipientWithoutTheAdapterFanningOut() {
        var bob = node.login("bob", 0);
        assertThat(node.types(bob)).containsExactly("synced");
        // What HttpApiHandler does for POST /api/send: call send() and write the ack; nothing else.
        node.service.send("alice", "h1", DM, "over http", Runnable::run).thenAccept(a -> seen.add("ack " + a.seq()));
        node.settle();
        assertThat(seen).containsExactly("ack 1");
        var msg = node.next(bob);
        assertThat(msg.get("t").asText()).isEqualTo("msg");
        assertThat(msg.get("id").asText()).isEqualTo("h1");
    }
}
