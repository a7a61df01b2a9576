package io.stickyring.chat.server;

import static io.stickyring.chat.server.WsClient.sendFrame;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.model.Conversations;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of bad input gets its documented answer; the node (and where documented, the connection) survives; nothing is stored. */
@Timeout(60)
class BadInputTest {
    @TempDir
    Path dir;
    ChatNode node;
    static final String DM = Conversations.dmId("alice", "bob");

    @BeforeEach
    void start() throws Exception {
        node = TestNodes.start(dir, "n1", b -> {
            b.ratePerSecond = 5;
            b.rateBurst = 10;
            b.maxBodyBytes = 1000;
        });
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private void assertStillServes(WsClient c, String id) {
        c.send(sendFrame(id, DM, "still fine"));
        assertThat(c.next("ack").get("id").asText()).isEqualTo(id);
    }

    private void assertNothingStored() {
        assertThat(node.store().history(DM, Long.MAX_VALUE, 100)).isEmpty();
        assertThat(node.store().readInbox("alice", 0, 100)).isEmpty();
    }

    @Test
    void invalidJsonUnknownTypeAndMissingFieldsGetErrorsAndTheConnectionSurvives() {
        try (WsClient c = WsClient.login(node, "alice", 0)) {
            c.next("synced");
            c.sendText("{not json");
            assertThat(c.next("error").get("code").asText()).isEqualTo("bad_json");
            c.sendText("[1,2,3]");
            assertThat(c.next("error").get("code").asText()).isEqualTo("bad_json");
            c.sendText("{\"t\":\"launch-missiles\",\"ref\":\"r9\"}");
            JsonNode unknown = c.next("error");
            assertThat(unknown.get("code").asText()).isEqualTo("unknown_type");
            assertThat(unknown.get("ref").asText()).isEqualTo("r9");
            assertThat(unknown.get("message").asText()).contains("launch-missiles");
            c.sendText("{\"x\":1}");
            assertThat(c.next("error").get("code").asText()).isEqualTo("bad_request");
            c.send(Frames.frame("send").put("conv", DM).put("body", "no id"));
            assertThat(c.next("error").get("code").asText()).isEqualTo("bad_request");
            c.send(Frames.frame("send").put("id", "x1").put("body", "no conv"));
            assertThat(c.next("error").get("code").asText()).isEqualTo("bad_request");
            c.send(Frames.frame("send").put("id", "x2").put("conv", DM));
            JsonNode noBody = c.next("error");
            assertThat(noBody.get("code").asText()).isEqualTo("bad_request");
            assertThat(noBody.get("ref").asText()).isEqualTo("x2");
            c.send(Frames.frame("sync").put("cursor", -4));
            assertThat(c.next("error").get("code").asText()).isEqualTo("bad_request");
            c.send(sendFrame("big", DM, "x".repeat(1001)));
            JsonNode big = c.next("error");
            assertThat(big.get("code").asText()).isEqualTo("too_large");
            assertThat(big.get("message").asText()).contains("1001").contains("1000");
            assertNothingStored();
            assertStillServes(c, "ok1");
        }
    }

    @Test
    void conversationTheUserIsNotInIsRefusedAndNothingIsStored() {
        try (WsClient mallory = WsClient.login(node, "mallory", 0)) {
            mallory.next("synced");
            mallory.send(sendFrame("m1", DM, "let me in"));
            JsonNode e = mallory.next("error");
            assertThat(e.get("code").asText()).isEqualTo("not_member");
            assertThat(e.get("ref").asText()).isEqualTo("m1");
            mallory.send(sendFrame("m2", "g:nosuchgroup", "x"));
            assertThat(mallory.next("error").get("code").asText()).isEqualTo("unknown_conversation");
            mallory.send(Frames.frame("history").put("conv", DM));
            assertThat(mallory.next("error").get("code").asText()).isEqualTo("not_member");
            mallory.send(Frames.frame("typing").put("conv", DM));
            assertThat(mallory.next("error").get("code").asText()).isEqualTo("not_member");
            assertNothingStored();
        }
    }

    @Test
    void floodOverTheRateLimitGetsErrorsAndTheConnectionSurvives() {
        try (WsClient c = WsClient.login(node, "alice", 0)) {
            c.next("synced");
            for (int i = 0; i < 40; i++) {
                c.send(sendFrame("f" + i, DM, "flood"));
            }
            int acks = 0;
            int limited = 0;
            while (acks + limited < 40) {
                JsonNode n = c.next();
                switch (n.get("t").asText()) {
                    case "ack" -> acks++;
                    case "error" -> {
                        assertThat(n.get("code").asText()).isEqualTo("rate_limited");
                        limited++;
                    }
                    default -> { }
                }
            }
            assertThat(limited).isPositive();
            assertThat(acks).isBetween(10, 12);
            assertThat(node.store().history(DM, Long.MAX_VALUE, 100)).hasSize(acks);
            assertThat(c.isOpen()).isTrue();
            assertThat(new String(node.metrics().scrape(), StandardCharsets.UTF_8))
                    .containsPattern("stickyring_chat_rejections_total\\{code=\"rate_limited\"} [1-9]"); // exported at 0 from start
        }
    }

    @Test
    void syncFloodIsRateLimitedToo() {
        try (WsClient c = WsClient.login(node, "alice", 0)) {
            c.next("synced");
            for (int i = 0; i < 30; i++) {
                c.send(Frames.frame("sync").put("cursor", 0));
            }
            // Accepted syncs supersede each other (only the last reports synced); refused ones each get an error.
            int synced = 0;
            int limited = 0;
            while (synced == 0 || limited < 15) {
                JsonNode n = c.next();
                if (n.get("t").asText().equals("synced")) {
                    synced++;
                } else if (n.get("t").asText().equals("error")) {
                    assertThat(n.get("code").asText()).isEqualTo("rate_limited");
                    limited++;
                }
            }
            assertThat(limited).isPositive();
            assertThat(c.isOpen()).isTrue();
        }
    }

    @Test
    void badTokenClosesWith1008() {
        WsClient c = WsClient.connect(node);
        c.send(Frames.frame("hello").put("token", "v1.alice.9999999999.forged").put("cursor", 0));
        assertThat(c.awaitClose().code()).isEqualTo(1008);
        WsClient expired = WsClient.connect(node);
        expired.send(Frames.frame("hello").put("cursor", 0));
        assertThat(expired.awaitClose().code()).isEqualTo(1008);
    }

    @Test
    void framesBeforeHelloCloseWith1008() {
        WsClient c = WsClient.connect(node);
        c.send(sendFrame("early", DM, "x"));
        assertThat(c.awaitClose().code()).isEqualTo(1008);
        assertNothingStored();
    }

    @Test
    void oversizedFrameClosesWith1009() throws Exception {
        try (RawWs raw = new RawWs(node.address().getPort(), null)) {
            raw.hello(node.tokens().issue("alice"), 0);
            raw.readJson();
            byte[] big = new byte[64 * 1024 + 1];
            Arrays.fill(big, (byte) 'a');
            raw.sendFrame(1, big, true);
            assertThat(raw.awaitCloseCode()).isEqualTo(1009);
        }
        // The node survives: a new client still works.
        try (WsClient c = WsClient.login(node, "alice", 0)) {
            c.next("synced");
            assertStillServes(c, "after-1009");
        }
    }

    @Test
    void fragmentedMessageOverTheLimitClosesWith1009() throws Exception {
        try (RawWs raw = new RawWs(node.address().getPort(), null)) {
            raw.hello(node.tokens().issue("alice"), 0);
            raw.readJson();
            byte[] part = new byte[40 * 1024];
            Arrays.fill(part, (byte) 'a');
            // Each fragment is under the frame limit; together they exceed the message limit.
            raw.sendFrame(1, part, true, false);
            raw.sendFrame(0, part, true, true);
            assertThat(raw.awaitCloseCode()).isEqualTo(1009);
        }
    }

    @Test
    void invalidUtf8ClosesWith1007() throws Exception {
        try (RawWs raw = new RawWs(node.address().getPort(), null)) {
            raw.hello(node.tokens().issue("alice"), 0);
            raw.readJson();
            raw.sendFrame(1, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}, true);
            assertThat(raw.awaitCloseCode()).isEqualTo(1007);
        }
        assertNothingStored();
    }

    @Test
    void unmaskedClientFrameClosesWith1002() throws Exception {
        try (RawWs raw = new RawWs(node.address().getPort(), null)) {
            raw.sendFrame(1, "{\"t\":\"ping\"}".getBytes(StandardCharsets.UTF_8), false);
            assertThat(raw.awaitCloseCode()).isEqualTo(1002);
        }
    }
}
