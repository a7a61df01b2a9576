package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.auth.TestKeys;
import io.stickyring.chat.auth.TokenMinter;
import io.stickyring.chat.model.Conversations;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokens end to end on a real node: a JWT of each algorithm opens a WebSocket session and passes
 * the HTTP API; every forged, stale or misaddressed one is closed with 1008 and answered 401; user
 * ids with '.' and '@' work over a real WebSocket.
 */
@Timeout(120)
class TokenAuthTest {
    static final String AUD = "chat";
    static final String ISS = "https://auth.example";

    @TempDir
    Path dir;
    ChatNode node;
    final Map<TestKeys.Kind, KeyPair> keys = new LinkedHashMap<>();

    @BeforeEach
    void start() throws Exception {
        for (TestKeys.Kind k : TestKeys.Kind.values()) {
            keys.put(k, TestKeys.generate(k));
        }
        Path jwks = TestKeys.writeJwks(dir.resolve("jwks.json"),
                keys.entrySet().stream().map(e -> TestKeys.jwk(e.getValue(), e.getKey().name())).toList());
        node = TestNodes.start(dir, "n1", b -> {
            b.jwksFile = jwks;
            b.tokenAudience = AUD;
            b.tokenIssuer = ISS;
        });
    }

    @AfterEach
    void stop() {
        node.close();
    }

    TokenMinter minter(TestKeys.Kind k) {
        return TestKeys.minter(keys.get(k), k.name(), Clock.systemUTC());
    }

    int httpStatus(String token) {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.address().getPort() + "/api/conversations"))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token).build();
        return WsClient.HTTP.sendAsync(req, HttpResponse.BodyHandlers.ofString()).orTimeout(10, TimeUnit.SECONDS).join().statusCode();
    }

    /** hello with {@code token}: the welcome's user, or the close code as "close:CODE". */
    String hello(String token) {
        try (WsClient c = WsClient.connect(node)) {
            c.send(Frames.frame("hello").put("token", token).put("cursor", 0));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                JsonNode first = c.frames.poll(20, TimeUnit.MILLISECONDS);
                if (first != null) {
                    return first.path("t").asText().equals("welcome") ? first.get("user").asText() : first.toString();
                }
                if (c.closed.isDone()) {
                    return "close:" + c.awaitClose().code();
                }
            }
            throw new AssertionError("neither a frame nor a close within 10 s");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** An {@code alg: none} token: header, claims, empty signature. */
    static String unsigned(String sub, Instant exp) {
        String header = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
        String claims = "{\"sub\":\"" + sub + "\",\"exp\":" + exp.getEpochSecond() + ",\"aud\":\"" + AUD + "\",\"iss\":\"" + ISS + "\"}";
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "." + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + ".";
    }

    @Test
    void aTokenOfEachAlgorithmIsAcceptedByWebSocketAndHttp() {
        Map<String, String> tokens = new LinkedHashMap<>();
        tokens.put("HS256 (dev login's own)", node.tokens().issue("alice"));
        for (TestKeys.Kind k : TestKeys.Kind.values()) {
            tokens.put(k.name(), minter(k).mint("alice", Duration.ofMinutes(5), AUD, ISS));
        }
        tokens.forEach((what, token) -> {
            assertThat(hello(token)).as(what).isEqualTo("alice");
            assertThat(httpStatus(token)).as(what).isEqualTo(200);
        });
    }

    @Test
    void everyBadTokenIsClosedWith1008AndAnswered401() {
        TokenMinter ec = minter(TestKeys.Kind.EC);
        Instant now = Instant.now();
        String good = minter(TestKeys.Kind.RSA).mint("alice", Duration.ofMinutes(5), AUD, ISS);
        String[] p = good.split("\\.");
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("tampered signature", p[0] + "." + p[1] + "." + (p[2].charAt(0) == 'A' ? 'B' : 'A') + p[2].substring(1));
        bad.put("expired", ec.mint("alice", now.minusSeconds(3600), now.minusSeconds(60), AUD, ISS));
        bad.put("not yet valid", ec.mint("alice", now.plusSeconds(600), now.plusSeconds(1200), AUD, ISS));
        bad.put("wrong audience", ec.mint("alice", Duration.ofMinutes(5), "billing", ISS));
        bad.put("wrong issuer", ec.mint("alice", Duration.ofMinutes(5), AUD, "https://evil.example"));
        bad.put("wrong key", TestKeys.minter(TestKeys.generate(TestKeys.Kind.EC), "EC", Clock.systemUTC())
                .mint("alice", Duration.ofMinutes(5), AUD, ISS));
        bad.put("alg none", unsigned("alice", now.plusSeconds(300)));
        bad.put("other HS256 secret", TokenMinter.hs256("another-secret-0123456789abcdef-0123456789".getBytes(StandardCharsets.UTF_8),
                Clock.systemUTC()).mint("alice", Duration.ofMinutes(5), AUD, ISS));
        bad.put("garbage", "not-a-token");
        bad.forEach((what, token) -> {
            assertThat(hello(token)).as(what).isEqualTo("close:1008");
            assertThat(httpStatus(token)).as(what).isEqualTo(401);
        });
    }

    /** The next {@code msg} sent by {@code from} (a sender's own devices get its messages too). */
    static JsonNode nextMsgFrom(WsClient c, String from) {
        while (true) {
            List<JsonNode> frames = c.until("msg");
            JsonNode m = frames.get(frames.size() - 1);
            if (m.get("from").asText().equals(from)) {
                return m;
            }
        }
    }

    @Test
    void userIdsWithDotsAndAtSignsChatOverARealWebSocket() {
        String john = "john.doe";
        String x = "x@example.com";
        TokenMinter ed = minter(TestKeys.Kind.ED25519);
        try (WsClient a = WsClient.connect(node); WsClient b = WsClient.connect(node)) {
            a.send(Frames.frame("hello").put("token", ed.mint(john, Duration.ofMinutes(5), AUD, ISS)).put("cursor", 0));
            b.send(Frames.frame("hello").put("token", node.tokens().issue(x)).put("cursor", 0));
            assertThat(a.next("welcome").get("user").asText()).isEqualTo(john);
            assertThat(b.next("welcome").get("user").asText()).isEqualTo(x);
            String dm = Conversations.dmId(john, x);
            a.send(WsClient.sendFrame("m1", dm, "hi x"));
            List<JsonNode> toA = a.until("ack");
            assertThat(toA.get(toA.size() - 1).get("id").asText()).isEqualTo("m1");
            JsonNode got = nextMsgFrom(b, john);
            assertThat(got.get("conv").asText()).isEqualTo(dm);
            assertThat(got.get("body").asText()).isEqualTo("hi x");
            // and back
            b.send(WsClient.sendFrame("r1", dm, "hi john"));
            assertThat(nextMsgFrom(a, x).get("body").asText()).isEqualTo("hi john");
        }
    }
}
