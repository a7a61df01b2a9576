package io.stickyring.chat.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class TokenServiceTest {
    static final byte[] SECRET = "0123456789abcdef0123".getBytes(StandardCharsets.UTF_8);
    final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

    TokenService at(Instant now, byte[] secret) {
        return new TokenService(secret, Duration.ofMinutes(10), Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void issuedTokenVerifiesUntilItExpires() {
        String token = at(t0, SECRET).issue("alice");
        assertThat(at(t0.plusSeconds(599), SECRET).verify(token)).contains("alice");
        assertThat(at(t0.plusSeconds(600), SECRET).verify(token)).isEmpty();
    }

    @Test
    void tamperedOrForeignTokensAreRejected() {
        String token = at(t0, SECRET).issue("alice");
        assertThat(at(t0, SECRET).verify(token.replace("alice", "mallo"))).isEmpty();
        assertThat(at(t0, "another-secret-of-16+".getBytes(StandardCharsets.UTF_8)).verify(token)).isEmpty();
        String longer = token.replaceFirst("\\.(\\d+)\\.", ".9$1.");
        assertThat(at(t0, SECRET).verify(longer)).isEmpty();
        assertThat(at(t0, SECRET).verify("")).isEmpty();
        assertThat(at(t0, SECRET).verify(null)).isEmpty();
        assertThat(at(t0, SECRET).verify("garbage")).isEmpty();
    }

    @Test
    void badConfigAndUsersAreRejectedNamingTheValue() {
        assertThatThrownBy(() -> at(t0, new byte[3])).hasMessageContaining("(3 bytes)");
        assertThatThrownBy(() -> at(t0, SECRET).issue("a:b")).hasMessageContaining("'a:b'");
    }
}
