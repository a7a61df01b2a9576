package io.stickyring.chat.auth;

import io.stickyring.chat.store.Conversations;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 bearer tokens binding a user id to an expiry: {@code v1.<user>.<expiryEpochSeconds>.<mac>}
 * where {@code mac} is base64url(HMAC(secret, "v1.<user>.<expiry>")). Any issuer holding the shared
 * secret can mint tokens every node accepts; verification is constant-time and rejects expired tokens.
 */
public final class TokenService {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private final byte[] secret;
    private final Clock clock;
    private final Duration ttl;

    public TokenService(byte[] secret, Duration ttl, Clock clock) {
        if (secret.length < 16) {
            throw new IllegalArgumentException("token secret (" + secret.length + " bytes) must be >= 16 bytes");
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("token ttl (" + ttl + ") must be > 0");
        }
        this.secret = secret.clone();
        this.ttl = ttl;
        this.clock = clock;
    }

    /** A token for {@code user} valid for the configured ttl. */
    public String issue(String user) {
        if (!Conversations.validUser(user)) {
            throw new IllegalArgumentException("invalid user id '" + user + "'");
        }
        long exp = clock.instant().plus(ttl).getEpochSecond();
        String payload = "v1." + user + "." + exp;
        return payload + "." + B64.encodeToString(mac(payload));
    }

    /** The user of a valid, unexpired token; empty for anything else. */
    public Optional<String> verify(String token) {
        if (token == null || token.length() > 512) {
            return Optional.empty();
        }
        int lastDot = token.lastIndexOf('.');
        if (lastDot < 0) {
            return Optional.empty();
        }
        String payload = token.substring(0, lastDot);
        byte[] given = token.substring(lastDot + 1).getBytes(StandardCharsets.US_ASCII);
        byte[] expected = B64.encodeToString(mac(payload)).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(given, expected)) {
            return Optional.empty();
        }
        String[] parts = payload.split("\\.", -1);
        if (parts.length != 3 || !parts[0].equals("v1") || !Conversations.validUser(parts[1])) {
            return Optional.empty();
        }
        long exp;
        try {
            exp = Long.parseLong(parts[2]);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return clock.instant().getEpochSecond() < exp ? Optional.of(parts[1]) : Optional.empty();
    }

    private byte[] mac(String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(payload.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
