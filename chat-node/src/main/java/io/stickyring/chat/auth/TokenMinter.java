package io.stickyring.chat.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.stickyring.chat.model.Conversations;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * Signs tokens the way any backend would: a JWS compact JWT with {@code sub} = user id, {@code iat},
 * {@code nbf} = now, {@code exp} = now + ttl, and {@code aud}/{@code iss} when given. Used by dev
 * login (HS256 with the node's secret), {@code stickyring token} and tests. Immutable.
 */
public final class TokenMinter {
    private final JWSAlgorithm alg;
    private final JWSSigner signer;
    private final String kid;
    private final Clock clock;

    private TokenMinter(JWSAlgorithm alg, JWSSigner signer, String kid, Clock clock) {
        this.alg = alg;
        this.signer = signer;
        this.kid = kid;
        this.clock = clock;
    }

    /** HS256 with a shared secret of >= 32 bytes. */
    public static TokenMinter hs256(byte[] secret, Clock clock) {
        if (secret == null || secret.length < TokenSettings.MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("token secret (" + (secret == null ? 0 : secret.length)
                    + " bytes) must be >= " + TokenSettings.MIN_SECRET_BYTES + " bytes for HS256");
        }
        try {
            return new TokenMinter(JWSAlgorithm.HS256, new MACSigner(secret), null, clock);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("token secret: " + e.getMessage());
        }
    }

    /**
     * RS256, ES256 or EdDSA with a private key; {@code alg} null = the key's own algorithm, else it
     * must be that one (an RSA key cannot sign ES256).
     */
    public static TokenMinter withPrivateKey(PrivateKey key, JWSAlgorithm alg, String kid, Clock clock) {
        JWSAlgorithm own = KeyFiles.algFor(key, "private key");
        if (alg != null && !alg.equals(own) && !(Ed25519Jws.ALGS.contains(alg) && Ed25519Jws.ALGS.contains(own))) {
            throw new IllegalArgumentException("--alg " + alg + " does not fit a " + key.getAlgorithm() + " key (use " + own + ")");
        }
        JWSSigner signer;
        if (own.equals(JWSAlgorithm.RS256)) {
            signer = new RSASSASigner(key);
        } else if (own.equals(JWSAlgorithm.ES256)) {
            try {
                signer = new ECDSASigner(key, Curve.P_256);
            } catch (JOSEException e) {
                throw new IllegalArgumentException("EC private key: " + e.getMessage());
            }
        } else {
            signer = Ed25519Jws.signer(key);
        }
        return new TokenMinter(alg != null ? alg : own, signer, kid, clock);
    }

    public JWSAlgorithm alg() {
        return alg;
    }

    /** A token for {@code user} valid for {@code ttl} from now. */
    public String mint(String user, Duration ttl, String audience, String issuer) {
        Instant now = clock.instant();
        return mint(user, now, now.plus(ttl), audience, issuer);
    }

    /** A token with explicit {@code nbf}/{@code exp} (tests of stale tokens); {@code iat} = now. */
    public String mint(String user, Instant notBefore, Instant expires, String audience, String issuer) {
        if (!Conversations.validUser(user)) {
            throw new IllegalArgumentException("invalid user id '" + user + "' (must match [A-Za-z0-9_.@-]{1,64})");
        }
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .subject(user)
                .issueTime(Date.from(clock.instant()))
                .notBeforeTime(Date.from(notBefore))
                .expirationTime(Date.from(expires));
        if (audience != null) {
            claims.audience(audience);
        }
        if (issuer != null) {
            claims.issuer(issuer);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).type(JOSEObjectType.JWT).keyID(kid).build(), claims.build());
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("signing a " + alg + " token failed: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }
}
