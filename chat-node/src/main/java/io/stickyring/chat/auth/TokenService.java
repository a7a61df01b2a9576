package io.stickyring.chat.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.stickyring.chat.model.Conversations;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's tokens: JSON Web Tokens (RFC 7519, JWS compact form) verified with nimbus-jose-jwt.
 * HS256 with the shared secret; RS256, ES256 and EdDSA with public keys from a PEM or JWKS file,
 * re-read every {@link TokenSettings#keyReloadInterval} and swapped in atomically when the file
 * changed (a file that fails to parse keeps the previous keys and logs a warning).
 *
 * <p>A token is accepted only if all hold: it is a JWS (never {@code alg: none}) with no {@code crit}
 * header; its algorithm is one a configured key is bound to and that key's signature verifies;
 * {@code sub} is a valid user id; {@code exp} is present and not past; {@code nbf} and {@code iat},
 * when present, are not in the future; {@code aud} contains the configured audience and {@code iss}
 * equals the configured issuer (when configured). Time checks allow {@link TokenSettings#clockSkew}.
 * {@link #issue} mints HS256 tokens (dev login, tests) and needs the secret.
 */
public final class TokenService implements TokenVerifier, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TokenService.class);
    /** Longer is refused unparsed: a real token is a few hundred bytes. */
    static final int MAX_TOKEN_CHARS = 8192;

    private final TokenSettings settings;
    private final Clock clock;
    private final MACVerifier hmac;
    private final TokenMinter minter;
    private final KeyFile keyFile;
    private final ScheduledExecutorService reloader;

    /** HS256 with {@code secret} (>= 32 bytes), default clock skew, no audience or issuer check. */
    public TokenService(byte[] secret, Duration ttl, Clock clock) {
        this(TokenSettings.hs256(secret, ttl), clock);
    }

    public TokenService(TokenSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        byte[] secret = settings.secret();
        try {
            this.hmac = secret == null ? null : new MACVerifier(secret);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("token secret: " + e.getMessage());
        }
        this.minter = secret == null ? null : TokenMinter.hs256(secret, clock);
        if (settings.publicKeyFile() != null) {
            keyFile = new KeyFile(settings.publicKeyFile(), KeyFiles::publicKeysFromPem);
        } else if (settings.jwksFile() != null) {
            keyFile = new KeyFile(settings.jwksFile(), KeyFiles::publicKeysFromJwks);
        } else {
            keyFile = null;
        }
        if (keyFile != null) {
            keyFile.load(true);
            reloader = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "token-key-reload");
                t.setDaemon(true);
                return t;
            });
            long every = settings.keyReloadInterval().toMillis();
            reloader.scheduleWithFixedDelay(() -> keyFile.load(false), every, every, TimeUnit.MILLISECONDS);
        } else {
            reloader = null;
        }
    }

    public TokenSettings settings() {
        return settings;
    }

    /** Whether {@link #issue} works (an HS256 secret is configured). */
    public boolean canIssue() {
        return minter != null;
    }

    /** An HS256 token for {@code user}, valid for the configured ttl, with the configured aud/iss. */
    public String issue(String user) {
        if (minter == null) {
            throw new IllegalStateException("this node has no HS256 secret, so it cannot issue tokens");
        }
        return minter.mint(user, settings.ttl(), settings.audience(), settings.issuer());
    }

    @Override
    public Optional<String> verify(String token) {
        if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
            return Optional.empty();
        }
        try {
            SignedJWT jwt = SignedJWT.parse(token); // a JWS or an exception: alg "none" never parses as one
            JWSHeader header = jwt.getHeader();
            if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
                return Optional.empty();
            }
            if (!signatureValid(jwt, header.getAlgorithm())) {
                return Optional.empty();
            }
            return claimsValid(jwt.getJWTClaimsSet());
        } catch (java.text.ParseException | JOSEException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private boolean signatureValid(SignedJWT jwt, JWSAlgorithm alg) throws JOSEException {
        if (JWSAlgorithm.HS256.equals(alg)) {
            return hmac != null && jwt.verify(hmac);
        }
        if (keyFile == null) {
            return false;
        }
        JWSAlgorithm family = Ed25519Jws.ALGS.contains(alg) ? JWSAlgorithm.EdDSA : alg;
        String kid = jwt.getHeader().getKeyID();
        for (KeyFiles.VerificationKey k : keyFile.keys) {
            if (!k.alg().equals(family) || kid != null && k.kid() != null && !kid.equals(k.kid())) {
                continue;
            }
            if (jwt.verify(verifierFor(k))) {
                return true;
            }
        }
        return false;
    }

    private static JWSVerifier verifierFor(KeyFiles.VerificationKey k) throws JOSEException {
        if (k.alg().equals(JWSAlgorithm.RS256)) {
            return new RSASSAVerifier((RSAPublicKey) k.key());
        }
        if (k.alg().equals(JWSAlgorithm.ES256)) {
            return new ECDSAVerifier((ECPublicKey) k.key());
        }
        return Ed25519Jws.verifier(k.key());
    }

    private Optional<String> claimsValid(JWTClaimsSet c) {
        String sub = c.getSubject();
        if (!Conversations.validUser(sub)) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Duration skew = settings.clockSkew();
        Date exp = c.getExpirationTime();
        if (exp == null || !now.minus(skew).isBefore(exp.toInstant())) {
            return Optional.empty();
        }
        Date nbf = c.getNotBeforeTime();
        if (nbf != null && now.plus(skew).isBefore(nbf.toInstant())) {
            return Optional.empty();
        }
        Date iat = c.getIssueTime();
        if (iat != null && now.plus(skew).isBefore(iat.toInstant())) {
            return Optional.empty();
        }
        if (settings.audience() != null && (c.getAudience() == null || !c.getAudience().contains(settings.audience()))) {
            return Optional.empty();
        }
        if (settings.issuer() != null && !settings.issuer().equals(c.getIssuer())) {
            return Optional.empty();
        }
        return Optional.of(sub);
    }

    /** Stops the key file reloader. */
    @Override
    public void close() {
        if (reloader != null) {
            reloader.shutdownNow();
        }
    }

    /** A key file and the keys last parsed from it; {@link #keys} is swapped whole, never mutated. */
    private static final class KeyFile {
        private final Path path;
        private final BiFunction<String, String, List<KeyFiles.VerificationKey>> parse;
        private volatile List<KeyFiles.VerificationKey> keys = List.of();
        private byte[] lastContent;
        /** Content that failed to parse, so a broken file is reported once, not every interval. */
        private byte[] lastBad;

        KeyFile(Path path, BiFunction<String, String, List<KeyFiles.VerificationKey>> parse) {
            this.path = path;
            this.parse = parse;
        }

        /** Re-reads the file; at start a failure is an error, later it keeps the current keys. */
        void load(boolean first) {
            try {
                byte[] content = Files.readAllBytes(path);
                if (Arrays.equals(content, lastContent) || Arrays.equals(content, lastBad)) {
                    return;
                }
                List<KeyFiles.VerificationKey> parsed;
                try {
                    parsed = parse.apply(new String(content, StandardCharsets.UTF_8), path.toString());
                } catch (IllegalArgumentException e) {
                    lastBad = content;
                    throw e;
                }
                keys = parsed;
                lastContent = content;
                log.info("token keys {} from {}: {}", first ? "loaded" : "reloaded", path,
                        parsed.stream().map(k -> k.alg() + (k.kid() == null ? "" : "/" + k.kid())).toList());
            } catch (IOException | IllegalArgumentException e) {
                if (first) {
                    throw new IllegalArgumentException(e instanceof IOException
                            ? "token key file (" + path + ") cannot be read: " + e : e.getMessage(), e);
                }
                log.warn("token key file {} not reloaded, keeping the previous keys: {}", path, e.getMessage());
            }
        }
    }
}
