package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.model.Conversations;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 finding 7: input that was accepted loosely is refused. Ambiguous JSON (duplicate keys,
 * trailing content) and strings that cannot be stored faithfully (lone UTF-16 surrogates, invalid
 * UTF-8 in HTTP bodies) get {@code bad_request} and store nothing; wrong methods get 405; junk before
 * {@code hello} closes 1008; a ping-frame flood gets a bounded number of pongs, then 1008.
 */
@Timeout(60)
class StrictInputTest {
    @TempDir
    Path dir;
    ChatNode node;
    String base;
    static final String DM = Conversations.dmId("alice", "bob");

    @BeforeEach
    void start() throws Exception {
        node = TestNodes.start(dir);
        base = "http://127.0.0.1:" + node.address().getPort();
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private HttpResponse<String> http(String method, String path, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + node.tokens().issue("alice"))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        return WsClient.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String code(HttpResponse<String> r) throws Exception {
        return Frames.JSON.readTree(r.body()).get("code").asText();
    }

    @Test
    void duplicateKeysTrailingJsonAndLoneSurrogatesAreRefusedOnTheWebSocket() {
        try (WsClient c = WsClient.login(node, "alice", 0)) {
            c.next("synced");
            c.sendText("{\"t\":\"send\",\"id\":\"d1\",\"conv\":\"" + DM + "\",\"body\":\"a\",\"body\":\"b\"}");
            assertThat(c.next("error").get("code").asText()).isEqualTo("bad_request");
            c.sendText("{\"t\":\"send\",\"id\":\"d2\",\"conv\":\"" + DM + "\",\"body\":\"a\"} {\"t\":\"ping\"}");
            assertThat(c.next("error").get("code").asText()).isEqualTo("bad_request");
            c.sendText("{\"t\":\"send\",\"id\":\"d3\",\"conv\":\"" + DM + "\",\"body\":\"x\\ud800y\"}");
            JsonNode lone = c.next("error");
            assertThat(lone.get("code").asText()).isEqualTo("bad_request");
            assertThat(lone.get("message").asText()).contains("surrogate");
            // A valid pair (an emoji as escapes) is fine and stored exactly.
            c.sendText("{\"t\":\"send\",\"id\":\"ok\",\"conv\":\"" + DM + "\",\"body\":\"\\ud83d\\ude00\"}");
            assertThat(c.next("ack").get("id").asText()).isEqualTo("ok");
            assertThat(node.store().history(DM, Long.MAX_VALUE, 10)).singleElement()
                    .satisfies(m -> assertThat(m.body()).isEqualTo("\uD83D\uDE00"));
        }
    }

    @Test
    void httpBodiesAreParsedStrictly() throws Exception {
        String dup = "{\"id\":\"h1\",\"conv\":\"" + DM + "\",\"body\":\"a\",\"id\":\"h2\"}";
        HttpResponse<String> r = http("POST", "/api/send", dup.getBytes(StandardCharsets.UTF_8));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(code(r)).isEqualTo("bad_request");
        r = http("POST", "/api/send", ("{\"id\":\"h3\",\"conv\":\"" + DM + "\",\"body\":\"a\"}[]").getBytes(StandardCharsets.UTF_8));
        assertThat(code(r)).isEqualTo("bad_request");
        r = http("POST", "/api/send", ("{\"id\":\"h4\",\"conv\":\"" + DM + "\",\"body\":\"\\udc00\"}").getBytes(StandardCharsets.UTF_8));
        assertThat(code(r)).isEqualTo("bad_request");
        byte[] invalidUtf8 = ("{\"id\":\"h5\",\"conv\":\"" + DM + "\",\"body\":\"__\"}").getBytes(StandardCharsets.UTF_8);
        invalidUtf8[invalidUtf8.length - 4] = (byte) 0xC3; // a lead byte followed by '_' is malformed
        r = http("POST", "/api/send", invalidUtf8);
        assertThat(code(r)).isEqualTo("bad_request");
        assertThat(node.store().history(DM, Long.MAX_VALUE, 10)).isEmpty();
    }

    @Test
    void wrongMethodsGet405AndUnknownPaths404() throws Exception {
        // /healthz and /metrics live on the admin listener (AdminListenerTest covers their 405s).
        assertThat(http("POST", "/healthz", new byte[0]).statusCode()).isEqualTo(404);
        assertThat(http("DELETE", "/metrics", null).statusCode()).isEqualTo(404);
        assertThat(http("PUT", "/app.js", new byte[0]).statusCode()).isEqualTo(405);
        assertThat(http("GET", "/api/send", null).statusCode()).isEqualTo(405);
        assertThat(http("DELETE", "/api/poll", null).statusCode()).isEqualTo(405);
        assertThat(http("POST", "/api/history", new byte[0]).statusCode()).isEqualTo(405);
        assertThat(http("POST", "/no-such-thing", new byte[0]).statusCode()).isEqualTo(404);
        assertThat(http("GET", "/app.js", null).statusCode()).isEqualTo(200);
    }

    @Test
    void nonJsonBeforeHelloClosesWith1008() throws Exception {
        try (RawWs ws = new RawWs(node.address().getPort(), null)) {
            ws.sendText("hello there");
            // The very next frame is the close: no error frame first (the hello timeout would
            // also close with 1008, but only seconds later and after the peer got an answer).
            RawWs.Frame first = ws.read();
            assertThat(first).as("a close frame").isNotNull();
            assertThat(first.opcode()).as("opcode of %s", first.text()).isEqualTo(8);
            assertThat(first.closeCode()).isEqualTo(1008);
        }
    }

    @Test
    void aPingFrameFloodGetsBoundedPongsThenClose1008() throws Exception {
        try (RawWs ws = new RawWs(node.address().getPort(), null)) {
            ws.hello(node.tokens().issue("alice"), 0);
            for (int i = 0; i < 200; i++) {
                ws.sendFrame(9, new byte[] {(byte) i}, true);
            }
            int pongs = 0;
            int close;
            while (true) {
                RawWs.Frame f = ws.read();
                assertThat(f).as("a close frame before the end of the connection").isNotNull();
                if (f.opcode() == 10) {
                    pongs++;
                } else if (f.opcode() == 8) {
                    close = f.closeCode();
                    break;
                }
            }
            assertThat(close).isEqualTo(1008);
            assertThat(pongs).isLessThanOrEqualTo(ReadGate.PING_BURST + 5);
        }
    }
}
