package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.stickyring.chat.bus.BusEvent;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.protocol.CloseCodes;
import io.stickyring.chat.protocol.ErrorCodes;
import io.stickyring.chat.model.Conversations;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session handler on {@link EmbeddedChannel}s: hello, send, ack, deliver and close codes, one
 * step at a time on the test thread (no sockets, no sleeps). The delivery order itself is
 * {@link DeliveryCursorTest}'s subject; here it is the glue: frames in, frames out.
 */
@Timeout(30)
class WebSocketSessionHandlerTest {
    static final String DM = Conversations.dmId("alice", "bob");

    @TempDir
    Path dir;
    EmbeddedNode node;

    @BeforeEach
    void start() {
        node = new EmbeddedNode(dir, b -> { });
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private ObjectNode hello(String user, long cursor) {
        return Frames.frame("hello").put("token", node.tokens.issue(user)).put("cursor", cursor);
    }

    private static ObjectNode send(String id, String conv, String body) {
        return Frames.frame("send").put("id", id).put("conv", conv).put("body", body);
    }

    private static int closeCode(CloseWebSocketFrame f) {
        try {
            return f.statusCode();
        } finally {
            f.release();
        }
    }

    @Test
    void helloIsAnsweredWithWelcomeThenSynced() {
        EmbeddedChannel ch = node.session();
        node.send(ch, hello("alice", 0));
        JsonNode w = node.next(ch);
        assertThat(w.get("t").asText()).isEqualTo("welcome");
        assertThat(w.get("user").asText()).isEqualTo("alice");
        assertThat(w.get("node").asText()).isEqualTo("e1");
        assertThat(w.get("cursor").asLong()).isZero();
        JsonNode s = node.next(ch);
        assertThat(s.get("t").asText()).isEqualTo("synced");
        assertThat(s.get("cursor").asLong()).isZero();
        assertThat(node.service.registry().has("alice")).isTrue();
    }

    @Test
    void aSendIsAckedThenDeliveredToEveryMembersSession() {
        EmbeddedChannel alice = node.login("alice", 0);
        EmbeddedChannel bob = node.login("bob", 0);
        assertThat(node.types(alice)).containsExactly("synced");
        assertThat(node.types(bob)).containsExactly("synced");
        node.send(alice, send("a1", DM, "hi bob"));
        JsonNode ack = node.next(alice);
        assertThat(ack.get("t").asText()).isEqualTo("ack");
        assertThat(ack.get("id").asText()).isEqualTo("a1");
        assertThat(ack.get("seq").asLong()).isEqualTo(1);
        JsonNode own = node.next(alice);
        assertThat(own.get("t").asText()).as("the sender's own inbox, after the ack").isEqualTo("msg");
        assertThat(own.get("cursor").asLong()).isEqualTo(1);
        JsonNode msg = node.next(bob);
        assertThat(msg.get("t").asText()).isEqualTo("msg");
        assertThat(msg.get("from").asText()).isEqualTo("alice");
        assertThat(msg.get("body").asText()).isEqualTo("hi bob");
        assertThat(msg.get("cursor").asLong()).isEqualTo(1);
        assertThat(node.types(bob)).isEmpty();
    }

    @Test
    void aResendGetsTheOriginalAckAndIsNotDeliveredAgain() {
        EmbeddedChannel alice = node.login("alice", 0);
        EmbeddedChannel bob = node.login("bob", 0);
        node.types(alice);
        node.types(bob);
        node.send(alice, send("a1", DM, "once"));
        JsonNode first = node.next(alice);
        assertThat(node.types(alice)).containsExactly("msg");
        assertThat(node.types(bob)).containsExactly("msg");
        node.send(alice, send("a1", DM, "once"));
        JsonNode again = node.next(alice);
        assertThat(again).isEqualTo(first);
        assertThat(node.types(alice)).isEmpty();
        assertThat(node.types(bob)).isEmpty();
    }

    @Test
    void aBusResyncHintHealsFromTheStoreThroughTheDeliveryCursor() {
        EmbeddedChannel bob = node.login("bob", 0);
        assertThat(node.types(bob)).containsExactly("synced");
        // Committed where no push reached this node (the NATS bus was down): nothing is written.
        node.store.append(new SendRequest("alice", "lost", DM, "while the bus was down"));
        assertThat(node.types(bob)).isEmpty();
        AtomicInteger healed = new AtomicInteger();
        node.bus.publish(new BusEvent.Resync("bob", healed::incrementAndGet));
        JsonNode msg = node.next(bob);
        assertThat(msg.get("t").asText()).isEqualTo("msg");
        assertThat(msg.get("id").asText()).isEqualTo("lost");
        assertThat(msg.get("cursor").asLong()).isEqualTo(1);
        assertThat(healed).hasValue(1);
        node.bus.publish(new BusEvent.Resync("bob", healed::incrementAndGet));
        assertThat(node.types(bob)).as("nothing new: nothing written again").isEmpty();
        assertThat(healed).hasValue(1);
    }

    @Test
    void aReconnectResumesAfterItsCursor() {
        EmbeddedChannel alice = node.login("alice", 0);
        for (int i = 1; i <= 3; i++) {
            node.send(alice, send("m" + i, DM, "n" + i));
        }
        EmbeddedChannel bob = node.session();
        node.send(bob, hello("bob", 1));
        JsonNode w = node.next(bob);
        assertThat(w.get("cursor").asLong()).as("the head").isEqualTo(3);
        assertThat(node.next(bob).get("cursor").asLong()).isEqualTo(2);
        assertThat(node.next(bob).get("cursor").asLong()).isEqualTo(3);
        JsonNode synced = node.next(bob);
        assertThat(synced.get("t").asText()).isEqualTo("synced");
        assertThat(synced.get("cursor").asLong()).isEqualTo(3);
    }

    @Test
    void pingIsAnsweredWithPongAndAnUnknownTypeWithAnError() {
        EmbeddedChannel ch = node.login("alice", 0);
        node.types(ch);
        node.send(ch, Frames.frame("ping"));
        assertThat(node.next(ch).get("t").asText()).isEqualTo("pong");
        node.send(ch, Frames.frame("dance").put("ref", "r1"));
        JsonNode e = node.next(ch);
        assertThat(e.get("code").asText()).isEqualTo(ErrorCodes.UNKNOWN_TYPE);
        assertThat(e.get("ref").asText()).isEqualTo("r1");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void aKnownFrameOfTheWrongShapeIsABadRequestWithItsRef() {
        EmbeddedChannel ch = node.login("alice", 0);
        node.types(ch);
        node.send(ch, Frames.frame("read").put("conv", DM).put("seq", -1).put("ref", "r2"));
        JsonNode e = node.next(ch);
        assertThat(e.get("code").asText()).isEqualTo(ErrorCodes.BAD_REQUEST);
        assertThat(e.get("message").asText()).isEqualTo("read needs 'conv' and 'seq'");
        assertThat(e.get("ref").asText()).isEqualTo("r2");
        node.send(ch, Frames.frame("sync").put("cursor", "x"));
        assertThat(node.next(ch).get("message").asText()).isEqualTo("sync needs 'cursor', an integer >= 0");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void aHelloIsJudgedByItsTokenBeforeItsCursor() {
        EmbeddedChannel bad = node.session();
        node.send(bad, Frames.frame("hello").put("token", "not-a-token").put("cursor", -5));
        assertThat(closeCode(node.closeFrame(bad))).as("no error frame before a valid hello").isEqualTo(CloseCodes.POLICY_VIOLATION);
        EmbeddedChannel good = node.session();
        node.send(good, hello("alice", 0).put("cursor", -5));
        JsonNode e = node.next(good);
        assertThat(e.get("code").asText()).isEqualTo(ErrorCodes.BAD_REQUEST);
        assertThat(e.get("message").asText()).isEqualTo("'cursor' must be an integer >= 0");
        node.send(good, hello("alice", 0));
        assertThat(node.next(good).get("t").asText()).as("a corrected hello is accepted").isEqualTo("welcome");
    }

    @Test
    void aFrameBeforeHelloClosesWith1008() {
        EmbeddedChannel ch = node.session();
        node.send(ch, send("a1", DM, "too early"));
        assertThat(closeCode(node.closeFrame(ch))).isEqualTo(CloseCodes.POLICY_VIOLATION);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aBadTokenClosesWith1008() {
        EmbeddedChannel ch = node.session();
        node.send(ch, Frames.frame("hello").put("token", "not-a-token").put("cursor", 0));
        assertThat(closeCode(node.closeFrame(ch))).isEqualTo(CloseCodes.POLICY_VIOLATION);
        assertThat(node.service.registry().users()).isZero();
    }

    @Test
    void aBinaryFrameClosesWith1003() {
        EmbeddedChannel ch = node.login("alice", 0);
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
        assertThat(closeCode(node.closeFrame(ch))).isEqualTo(CloseCodes.UNSUPPORTED_DATA);
        assertThat(node.service.registry().has("alice")).as("detached on close").isFalse();
    }

    @Test
    void noHelloWithinTheTimeoutClosesWith1008() {
        EmbeddedChannel ch = node.session();
        ch.advanceTimeBy(node.config.helloTimeout().toMillis() - 1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isTrue();
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        CloseWebSocketFrame close = node.closeFrame(ch);
        assertThat(close.reasonText()).startsWith("no hello within");
        assertThat(closeCode(close)).isEqualTo(CloseCodes.POLICY_VIOLATION);
    }

    @Test
    void aRestartClosesWith1012AndARetryHint() {
        EmbeddedChannel ch = node.login("alice", 0);
        WebSocketSessionHandler.closeForRestart(ch, 700, 700);
        CloseWebSocketFrame close = node.closeFrame(ch);
        assertThat(close.reasonText()).isEqualTo("node restarting; retry-after-ms=700");
        assertThat(closeCode(close)).isEqualTo(CloseCodes.SERVICE_RESTART);
    }

    @Test
    void aRejectedSendIsAnErrorWithTheIdAsRef() {
        EmbeddedChannel ch = node.login("alice", 0);
        node.types(ch);
        node.send(ch, send("x1", Conversations.dmId("bob", "carol"), "not mine"));
        JsonNode e = node.next(ch);
        assertThat(e.get("t").asText()).isEqualTo("error");
        assertThat(e.get("code").asText()).isEqualTo(ErrorCodes.NOT_MEMBER);
        assertThat(e.get("ref").asText()).isEqualTo("x1");
    }
}
