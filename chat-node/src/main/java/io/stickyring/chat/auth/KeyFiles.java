package io.stickyring.chat.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads token keys from the files operators have: PEM ({@code -----BEGIN PUBLIC KEY-----}, X.509
 * SubjectPublicKeyInfo; {@code -----BEGIN PRIVATE KEY-----}, PKCS#8, as {@code openssl genpkey}
 * writes them) and JWKS ({@code {"keys":[...]}}, RFC 7517). Every key comes out bound to the one
 * JOSE algorithm it may verify: RSA to RS256, EC P-256 to ES256, Ed25519 to EdDSA; a key is never
 * tried with another algorithm (so a public key can never be misused as an HMAC secret).
 */
public final class KeyFiles {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
    /** X.509 SubjectPublicKeyInfo prefix of an Ed25519 key (OID 1.3.101.112), followed by the 32 key bytes. */
    private static final byte[] ED25519_SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

    private KeyFiles() {
    }

    /** A verification key, its JWKS key id (null for PEM) and the algorithm it verifies. */
    public record VerificationKey(String kid, JWSAlgorithm alg, PublicKey key) {
    }

    /** Every {@code PUBLIC KEY} block of a PEM file; at least one. */
    public static List<VerificationKey> publicKeysFromPem(String pem, String source) {
        List<VerificationKey> keys = new ArrayList<>();
        Matcher m = PEM.matcher(pem);
        while (m.find()) {
            if (!m.group(1).equals("PUBLIC KEY")) {
                throw new IllegalArgumentException(source + ": PEM block '" + m.group(1)
                        + "' is not a public key; want -----BEGIN PUBLIC KEY----- (openssl pkey -pubout)");
            }
            PublicKey k = publicKey(decode(m.group(2), source), source);
            keys.add(new VerificationKey(null, algFor(k, source), k));
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(source + ": no -----BEGIN PUBLIC KEY----- block found");
        }
        return List.copyOf(keys);
    }

    /** The signature keys of a JWKS document (keys with {@code "use":"enc"} are skipped); at least one. */
    public static List<VerificationKey> publicKeysFromJwks(String json, String source) {
        JWKSet set;
        try {
            set = JWKSet.parse(json);
        } catch (java.text.ParseException e) {
            throw new IllegalArgumentException(source + ": not a JWKS document: " + e.getMessage());
        }
        List<VerificationKey> keys = new ArrayList<>();
        for (JWK jwk : set.getKeys()) {
            if (jwk.getKeyUse() != null && !jwk.getKeyUse().identifier().equals("sig")) {
                continue;
            }
            try {
                PublicKey k;
                if (jwk instanceof com.nimbusds.jose.jwk.RSAKey rsa) {
                    k = rsa.toRSAPublicKey();
                } else if (jwk instanceof com.nimbusds.jose.jwk.ECKey ec) {
                    k = ec.toECPublicKey();
                } else if (jwk instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())) {
                    k = publicKey(concat(ED25519_SPKI_PREFIX, okp.getDecodedX()), source);
                } else {
                    throw new IllegalArgumentException(source + ": key '" + jwk.getKeyID() + "' of type "
                            + jwk.getKeyType() + " is not RSA, EC P-256 or OKP Ed25519");
                }
                JWSAlgorithm alg = algFor(k, source + " key '" + jwk.getKeyID() + "'");
                if (jwk.getAlgorithm() != null && !(jwk.getAlgorithm().equals(alg)
                        || Ed25519Jws.ALGS.contains(alg) && Ed25519Jws.ALGS.contains(JWSAlgorithm.parse(jwk.getAlgorithm().getName())))) {
                    throw new IllegalArgumentException(source + ": key '" + jwk.getKeyID() + "' says alg "
                            + jwk.getAlgorithm() + " but is a " + alg + " key");
                }
                keys.add(new VerificationKey(jwk.getKeyID(), alg, k));
            } catch (JOSEException e) {
                throw new IllegalArgumentException(source + ": key '" + jwk.getKeyID() + "': " + e.getMessage());
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(source + ": JWKS holds no signature key");
        }
        return List.copyOf(keys);
    }

    /** The one {@code PRIVATE KEY} (PKCS#8) block of a PEM file. */
    public static PrivateKey privateKeyFromPem(String pem, String source) {
        Matcher m = PEM.matcher(pem);
        if (!m.find()) {
            throw new IllegalArgumentException(source + ": no -----BEGIN PRIVATE KEY----- block found");
        }
        if (!m.group(1).equals("PRIVATE KEY")) {
            throw new IllegalArgumentException(source + ": PEM block '" + m.group(1)
                    + "' is not PKCS#8; convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY");
        }
        byte[] der = decode(m.group(2), source);
        for (String type : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(type).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next key type
            }
        }
        throw new IllegalArgumentException(source + ": private key is not RSA, EC P-256 or Ed25519");
    }

    /** The one JOSE algorithm a key of this type signs or verifies: RS256, ES256 (P-256 only) or EdDSA. */
    public static JWSAlgorithm algFor(java.security.Key k, String source) {
        if (k instanceof RSAKey rsa) {
            if (rsa.getModulus().bitLength() < 2048) {
                throw new IllegalArgumentException(source + ": RSA key of " + rsa.getModulus().bitLength() + " bits; need >= 2048");
            }
            return JWSAlgorithm.RS256;
        }
        if (k instanceof ECKey ec) {
            if (!Curve.P_256.equals(Curve.forECParameterSpec(ec.getParams()))) {
                throw new IllegalArgumentException(source + ": EC key is not on curve P-256 (ES256)");
            }
            return JWSAlgorithm.ES256;
        }
        if (k instanceof EdECKey ed && ed.getParams().getName().equalsIgnoreCase("Ed25519")) {
            return JWSAlgorithm.EdDSA;
        }
        throw new IllegalArgumentException(source + ": key type " + k.getAlgorithm() + " is not RSA, EC P-256 or Ed25519");
    }

    private static PublicKey publicKey(byte[] spki, String source) {
        for (String type : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(type).generatePublic(new X509EncodedKeySpec(spki));
            } catch (GeneralSecurityException e) {
                // try the next key type
            }
        }
        throw new IllegalArgumentException(source + ": public key is not RSA, EC or Ed25519");
    }

    private static byte[] decode(String base64, String source) {
        try {
            return Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": PEM body is not base64");
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
