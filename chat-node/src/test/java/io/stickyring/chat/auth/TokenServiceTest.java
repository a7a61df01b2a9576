package io.stickyring.chat.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** JWT verification with fixed clocks: every algorithm, every claim check, key files and their reload. */
class TokenServiceTest {
    static final byte[] SECRET = "0123456789abcdef0123456789abcdef-test".getBytes(StandardCharsets.UTF_8);
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final Duration SKEW = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    static Clock at(Instant now) {
        return Clock.fixed(now, ZoneOffset.UTC);
    }

    TokenService hs(Instant now, byte[] secret) {
        return new TokenService(secret, Duration.ofMinutes(10), at(now));
    }

    TokenService keys(Instant now, Path pem, Path jwks, String aud, String iss) {
        return new TokenService(new TokenSettings(null, pem, jwks, aud, iss, SKEW, Duration.ofMillis(50), Duration.ofHours(1)), at(now));
    }

    @Test
    void hs256TokenVerifiesUntilItExpiresPlusTheSkew() {
        String token = hs(T0, SECRET).issue("alice");
        assertThat(token.split("\\.")).hasSize(3);
        assertThat(hs(T0.plusSeconds(599), SECRET).verify(token)).contains("alice");
        assertThat(hs(T0.plusSeconds(629), SECRET).verify(token)).as("within the 30 s skew").contains("alice");
        assertThat(hs(T0.plusSeconds(630), SECRET).verify(token)).as("expired").isEmpty();
    }

    @ParameterizedTest
    @EnumSource(TestKeys.Kind.class)
    void eachAsymmetricAlgorithmIsAcceptedFromPemAndFromJwks(TestKeys.Kind kind) throws Exception {
        KeyPair kp = TestKeys.generate(kind);
        Path pem = TestKeys.writePublicPem(dir.resolve("pub.pem"), kp);
        Path jwks = TestKeys.writeJwks(dir.resolve("jwks.json"), List.of(TestKeys.jwk(kp, "k1")));
        String token = TestKeys.minter(kp, "k1", at(T0)).mint("alice", Duration.ofMinutes(5), "chat", "https://auth.example");
        String header = new String(Base64URL.from(token.split("\\.")[0]).decode(), StandardCharsets.UTF_8);
        assertThat(header).contains(switch (kind) {
            case RSA -> "RS256";
            case EC -> "ES256";
            case ED25519 -> "EdDSA";
        });
        try (TokenService byPem = keys(T0, pem, null, "chat", "https://auth.example");
             TokenService byJwks = keys(T0, null, jwks, "chat", "https://auth.example")) {
            assertThat(byPem.verify(token)).contains("alice");
            assertThat(byJwks.verify(token)).contains("alice");
            assertThat(byPem.canIssue()).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(TestKeys.Kind.class)
    void forgedStaleAndMisaddressedTokensAreRefused(TestKeys.Kind kind) throws Exception {
        KeyPair kp = TestKeys.generate(kind);
        KeyPair other = TestKeys.generate(kind);
        Path pem = TestKeys.writePublicPem(dir.resolve("pub.pem"), kp);
        TokenMinter good = TestKeys.minter(kp, null, at(T0));
        try (TokenService v = keys(T0, pem, null, "chat", "https://auth.example")) {
            String ok = good.mint("alice", Duration.ofMinutes(5), "chat", "https://auth.example");
            assertThat(v.verify(ok)).contains("alice");
            String[] p = ok.split("\\.");
            // tampered signature: flip one byte of it
            byte[] sig = Base64URL.from(p[2]).decode();
            sig[sig.length / 2] ^= 1;
            assertThat(v.verify(p[0] + "." + p[1] + "." + Base64URL.encode(sig))).as("tampered signature").isEmpty();
            // tampered payload: another user under the original signature
            String mallory = Base64URL.encode(new String(Base64URL.from(p[1]).decode(), StandardCharsets.UTF_8)
                    .replace("alice", "mallo").getBytes(StandardCharsets.UTF_8)).toString();
            assertThat(v.verify(p[0] + "." + mallory + "." + p[2])).as("tampered payload").isEmpty();
            assertThat(v.verify(good.mint("alice", T0.minusSeconds(600), T0.minusSeconds(31), "chat", "https://auth.example")))
                    .as("expired beyond the skew").isEmpty();
            assertThat(v.verify(good.mint("alice", T0.plusSeconds(31), T0.plusSeconds(600), "chat", "https://auth.example")))
                    .as("not yet valid beyond the skew").isEmpty();
            assertThat(v.verify(good.mint("alice", T0.plusSeconds(29), T0.plusSeconds(600), "chat", "https://auth.example")))
                    .as("nbf within the skew").contains("alice");
            assertThat(v.verify(good.mint("alice", Duration.ofMinutes(5), "other", "https://auth.example"))).as("wrong audience").isEmpty();
            assertThat(v.verify(good.mint("alice", Duration.ofMinutes(5), null, "https://auth.example"))).as("no audience").isEmpty();
            assertThat(v.verify(good.mint("alice", Duration.ofMinutes(5), "chat", "https://evil.example"))).as("wrong issuer").isEmpty();
            assertThat(v.verify(TestKeys.minter(other, null, at(T0)).mint("alice", Duration.ofMinutes(5), "chat", "https://auth.example")))
                    .as("wrong key").isEmpty();
            assertThat(v.verify(unsigned("alice", T0.plusSeconds(300)))).as("alg none").isEmpty();
            assertThat(v.verify(TokenMinter.hs256(SECRET, at(T0)).mint("alice", Duration.ofMinutes(5), "chat", "https://auth.example")))
                    .as("HS256 when the node has no secret").isEmpty();
        }
    }

    @Test
    void aPublicKeyIsNeverUsedAsAnHmacSecret() throws Exception {
        KeyPair kp = TestKeys.generate(TestKeys.Kind.RSA);
        Path pem = TestKeys.writePublicPem(dir.resolve("pub.pem"), kp);
        // The classic confusion attack: HS256 keyed with the (public) PEM text or its DER bytes.
        for (byte[] key : List.of(Files.readAllBytes(pem), kp.getPublic().getEncoded())) {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
                    claims("alice", T0.plusSeconds(300)));
            jwt.sign(new MACSigner(key));
            try (TokenService v = keys(T0, pem, null, null, null)) {
                assertThat(v.verify(jwt.serialize())).isEmpty();
            }
        }
    }

    @Test
    void hs256RefusesAlgNoneOtherHmacSizesAndMissingExpiry() throws Exception {
        TokenService v = hs(T0, SECRET);
        assertThat(v.verify(unsigned("alice", T0.plusSeconds(300)))).isEmpty();
        SignedJWT hs512 = new SignedJWT(new JWSHeader(JWSAlgorithm.HS512), claims("alice", T0.plusSeconds(300)));
        hs512.sign(new MACSigner("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8)));
        assertThat(v.verify(hs512.serialize())).isEmpty();
        SignedJWT noExp = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject("alice").build());
        noExp.sign(new MACSigner(SECRET));
        assertThat(v.verify(noExp.serialize())).as("no exp").isEmpty();
        SignedJWT badSub = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims("a:b", T0.plusSeconds(300)));
        badSub.sign(new MACSigner(SECRET));
        assertThat(v.verify(badSub.serialize())).as("sub outside the user alphabet").isEmpty();
        assertThat(hs(T0, "another-secret-0123456789abcdef-0123".getBytes(StandardCharsets.UTF_8)).verify(v.issue("alice"))).isEmpty();
        assertThat(v.verify("")).isEmpty();
        assertThat(v.verify(null)).isEmpty();
        assertThat(v.verify("garbage")).isEmpty();
        assertThat(v.verify("a.b.c")).isEmpty();
        assertThat(v.verify("x".repeat(10_000))).isEmpty();
    }

    @Test
    void userIdsWithDotsAndAtSignsRoundTrip() {
        TokenService v = hs(T0, SECRET);
        for (String user : List.of("john.doe", "x@example.com", "a.b.c.d", "Mixed.Case@Example.COM")) {
            assertThat(v.verify(v.issue(user))).contains(user);
        }
        // Case-sensitive: a token for John.Doe is not john.doe's.
        assertThat(v.verify(v.issue("John.Doe"))).contains("John.Doe").isNotEqualTo(java.util.Optional.of("john.doe"));
    }

    @Test
    void aJwksFileIsReloadedWhenItChangesAndABrokenOneKeepsTheKeys() throws Exception {
        KeyPair a = TestKeys.generate(TestKeys.Kind.EC);
        KeyPair b = TestKeys.generate(TestKeys.Kind.ED25519);
        Path jwks = TestKeys.writeJwks(dir.resolve("jwks.json"), List.of(TestKeys.jwk(a, "a")));
        String tokenA = TestKeys.minter(a, "a", Clock.systemUTC()).mint("alice", Duration.ofMinutes(5), null, null);
        String tokenB = TestKeys.minter(b, "b", Clock.systemUTC()).mint("bob", Duration.ofMinutes(5), null, null);
        try (TokenService v = new TokenService(new TokenSettings(null, null, jwks, null, null, SKEW, Duration.ofMillis(20),
                Duration.ofHours(1)), Clock.systemUTC())) {
            assertThat(v.verify(tokenA)).contains("alice");
            assertThat(v.verify(tokenB)).isEmpty();
            // Rotation: b is added, then a removed.
            TestKeys.writeJwks(jwks, List.of(TestKeys.jwk(a, "a"), TestKeys.jwk(b, "b")));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> v.verify(tokenB).isPresent());
            assertThat(v.verify(tokenA)).contains("alice");
            TestKeys.writeJwks(jwks, List.of(TestKeys.jwk(b, "b")));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> v.verify(tokenA).isEmpty());
            // A half-written file keeps the last good keys.
            Files.writeString(jwks, "{\"keys\": [");
            KeyPair c = TestKeys.generate(TestKeys.Kind.RSA);
            String tokenC = TestKeys.minter(c, "c", Clock.systemUTC()).mint("carol", Duration.ofMinutes(5), null, null);
            TestKeys.writeJwks(dir.resolve("probe.json"), List.of(TestKeys.jwk(c, "c")));
            Awaitility.await().pollDelay(Duration.ofMillis(100)).atMost(Duration.ofSeconds(10)).until(() -> v.verify(tokenB).isPresent());
            assertThat(v.verify(tokenC)).isEmpty();
            TestKeys.writeJwks(jwks, List.of(TestKeys.jwk(b, "b"), TestKeys.jwk(c, "c")));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> v.verify(tokenC).isPresent());
            assertThat(v.verify(tokenB)).contains("bob");
        }
    }

    @Test
    void badSettingsAreRefusedNamingTheValue() throws Exception {
        assertThatThrownBy(() -> hs(T0, new byte[20])).hasMessageContaining("(20 bytes)").hasMessageContaining(">= 32");
        assertThatThrownBy(() -> hs(T0, SECRET).issue("a:b")).hasMessageContaining("'a:b'");
        assertThatThrownBy(() -> new TokenSettings(null, null, null, null, null, SKEW, SKEW, SKEW))
                .hasMessageContaining("--secret-file").hasMessageContaining("--jwks");
        assertThatThrownBy(() -> new TokenSettings(SECRET, null, null, null, null, Duration.ofMinutes(6), SKEW, SKEW))
                .hasMessageContaining("clock skew (PT6M)");
        Path notAKey = Files.writeString(dir.resolve("bad.pem"), "hello");
        assertThatThrownBy(() -> keys(T0, notAKey, null, null, null)).hasMessageContaining(notAKey.toString());
        Path missing = dir.resolve("missing.json");
        assertThatThrownBy(() -> keys(T0, null, missing, null, null)).hasMessageContaining(missing.toString());
        KeyPair rsa = TestKeys.generate(TestKeys.Kind.RSA);
        assertThatThrownBy(() -> TokenMinter.withPrivateKey(rsa.getPrivate(), JWSAlgorithm.ES256, null, at(T0)))
                .hasMessageContaining("ES256");
    }

    static JWTClaimsSet claims(String sub, Instant exp) {
        return new JWTClaimsSet.Builder().subject(sub).issueTime(Date.from(T0)).expirationTime(Date.from(exp)).build();
    }

    /** An {@code alg: none} token (RFC 7519 section 6): header, payload, empty signature. */
    static String unsigned(String sub, Instant exp) {
        return Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + Base64URL.encode(claims(sub, exp).toString().getBytes(StandardCharsets.UTF_8)) + ".";
    }
}
