package io.stickyring.chat.auth;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a node checks (and, for dev login, issues) JSON Web Tokens; validated once, naming the bad value.
 *
 * @param secret            HS256 shared secret, >= 32 bytes (RFC 7518 section 3.2); null = no HS256
 * @param publicKeyFile     PEM file of RS256/ES256/EdDSA public keys; null = none
 * @param jwksFile          JWKS file of public keys; null = none. Key files are re-read every
 *                          {@code keyReloadInterval} and swapped in when their content changed
 * @param audience          required {@code aud} member; null = not checked
 * @param issuer            required {@code iss}; null = not checked
 * @param clockSkew         leeway on {@code exp}, {@code nbf}, {@code iat}; 0..5 minutes (default 30s)
 * @param keyReloadInterval how often key files are checked for changes (default 5s)
 * @param ttl               lifetime of tokens this node issues (dev login only)
 */
public record TokenSettings(byte[] secret, Path publicKeyFile, Path jwksFile, String audience, String issuer,
                            Duration clockSkew, Duration keyReloadInterval, Duration ttl) {
    public static final int MIN_SECRET_BYTES = 32;
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);
    public static final Duration DEFAULT_KEY_RELOAD = Duration.ofSeconds(5);

    public TokenSettings {
        if (secret != null && secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("token secret (" + secret.length + " bytes) must be >= "
                    + MIN_SECRET_BYTES + " bytes for HS256");
        }
        if (secret == null && publicKeyFile == null && jwksFile == null) {
            throw new IllegalArgumentException("no token key: give --secret-file FILE (or env STICKYRING_SECRET), "
                    + "--public-key FILE or --jwks FILE");
        }
        if (publicKeyFile != null && jwksFile != null) {
            throw new IllegalArgumentException("public key file (" + publicKeyFile + ") and JWKS file (" + jwksFile
                    + ") are exclusive; put every key in the JWKS");
        }
        if (audience != null && audience.isBlank() || issuer != null && issuer.isBlank()) {
            throw new IllegalArgumentException("token audience (" + audience + ") and issuer (" + issuer + ") must not be blank");
        }
        if (clockSkew == null || clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw new IllegalArgumentException("token clock skew (" + clockSkew + ") must be in [0s, 5m]");
        }
        if (keyReloadInterval == null || keyReloadInterval.toMillis() < 10) {
            throw new IllegalArgumentException("key reload interval (" + keyReloadInterval + ") must be >= 10ms");
        }
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("token ttl (" + ttl + ") must be > 0");
        }
        secret = secret == null ? null : secret.clone();
    }

    /** HS256 with {@code secret} only, default skew, no audience or issuer. */
    public static TokenSettings hs256(byte[] secret, Duration ttl) {
        return new TokenSettings(secret, null, null, null, null, DEFAULT_CLOCK_SKEW, DEFAULT_KEY_RELOAD, ttl);
    }

    @Override
    public byte[] secret() {
        return secret == null ? null : secret.clone();
    }

    @Override
    public String toString() {
        return "TokenSettings[secret=" + (secret == null ? "none" : "(" + secret.length + " bytes)")
                + ", publicKeyFile=" + publicKeyFile + ", jwksFile=" + jwksFile + ", audience=" + audience
                + ", issuer=" + issuer + ", clockSkew=" + clockSkew + ", ttl=" + ttl + "]";
    }
}
