package io.stickyring.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.chat.auth.TestKeys;
import io.stickyring.chat.auth.TokenService;
import io.stickyring.chat.auth.TokenSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;

/** {@code stickyring token}: what it prints is accepted by a node configured with the matching key. */
class TokenCommandTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) { }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new TokenCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString().trim(), err.toString());
    }

    static TokenSettings settings(byte[] secret, Path pem, Path jwks, String aud, String iss) {
        return new TokenSettings(secret, pem, jwks, aud, iss, TokenSettings.DEFAULT_CLOCK_SKEW, TokenSettings.DEFAULT_KEY_RELOAD,
                Duration.ofHours(1));
    }

    @Test
    void aSecretFileTokenRoundTrips() throws Exception {
        byte[] secret = "token-cmd-secret-0123456789abcdef-0123".getBytes(StandardCharsets.UTF_8);
        Path file = Files.write(dir.resolve("secret"), secret);
        Run r = run("--user", "john.doe", "--ttl", "10m", "--secret-file", file.toString(), "--aud", "chat", "--iss", "me");
        assertThat(r.code()).as(r.err()).isZero();
        try (TokenService node = new TokenService(settings(secret, null, null, "chat", "me"), Clock.systemUTC());
             TokenService otherAud = new TokenService(settings(secret, null, null, "billing", "me"), Clock.systemUTC())) {
            assertThat(node.verify(r.out())).contains("john.doe");
            assertThat(otherAud.verify(r.out())).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(TestKeys.Kind.class)
    void aPrivateKeyTokenRoundTripsThroughPemAndJwks(TestKeys.Kind kind) throws Exception {
        KeyPair kp = TestKeys.generate(kind);
        Path priv = TestKeys.writePrivatePem(dir.resolve("key.pem"), kp);
        Path pub = TestKeys.writePublicPem(dir.resolve("pub.pem"), kp);
        Path jwks = TestKeys.writeJwks(dir.resolve("jwks.json"), List.of(TestKeys.jwk(kp, "k7")));
        String alg = switch (kind) {
            case RSA -> "RS256";
            case EC -> "ES256";
            case ED25519 -> "EdDSA";
        };
        Run r = run("--user", "x@example.com", "--private-key", priv.toString(), "--alg", alg, "--kid", "k7");
        assertThat(r.code()).as(r.err()).isZero();
        try (TokenService byPem = new TokenService(settings(null, pub, null, null, null), Clock.systemUTC());
             TokenService byJwks = new TokenService(settings(null, null, jwks, null, null), Clock.systemUTC())) {
            assertThat(byPem.verify(r.out())).contains("x@example.com");
            assertThat(byJwks.verify(r.out())).contains("x@example.com");
        }
    }

    @Test
    void badInputIsNamed() throws Exception {
        KeyPair rsa = TestKeys.generate(TestKeys.Kind.RSA);
        Path priv = TestKeys.writePrivatePem(dir.resolve("key.pem"), rsa);
        assertThat(run("--user", "x", "--private-key", priv.toString(), "--alg", "ES256").err()).contains("ES256");
        assertThat(run("--user", "x", "--private-key", priv.toString(), "--alg", "HS999").err()).contains("HS999");
        assertThat(run("--user", "bad:user", "--private-key", priv.toString()).err()).contains("'bad:user'");
        Path missing = dir.resolve("nope");
        assertThat(run("--user", "x", "--secret-file", missing.toString()).err()).contains(missing.toString());
        Path shortSecret = Files.writeString(dir.resolve("short"), "short");
        assertThat(run("--user", "x", "--secret-file", shortSecret.toString()).err()).contains("(5 bytes)");
        assertThat(run("--user", "x", "--private-key", priv.toString(), "--ttl", "0s").code()).isEqualTo(2);
    }
}
