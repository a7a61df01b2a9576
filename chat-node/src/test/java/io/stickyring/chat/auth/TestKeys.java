package io.stickyring.chat.auth;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/** Fresh key pairs of each supported kind, written as the PEM and JWKS files operators have. */
public final class TestKeys {
    public enum Kind { RSA, EC, ED25519 }

    private TestKeys() {
    }

    public static KeyPair generate(Kind kind) {
        try {
            KeyPairGenerator g;
            switch (kind) {
                case RSA -> {
                    g = KeyPairGenerator.getInstance("RSA");
                    g.initialize(2048);
                }
                case EC -> {
                    g = KeyPairGenerator.getInstance("EC");
                    g.initialize(new ECGenParameterSpec("secp256r1"));
                }
                default -> g = KeyPairGenerator.getInstance("Ed25519");
            }
            return g.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    public static Path writePublicPem(Path file, KeyPair kp) throws java.io.IOException {
        return Files.writeString(file, pem("PUBLIC KEY", kp.getPublic().getEncoded()));
    }

    public static Path writePrivatePem(Path file, KeyPair kp) throws java.io.IOException {
        return Files.writeString(file, pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
    }

    /** The public JWK of {@code kp} with key id {@code kid}. */
    public static JWK jwk(KeyPair kp, String kid) {
        if (kp.getPublic() instanceof RSAPublicKey rsa) {
            return new RSAKey.Builder(rsa).keyID(kid).build();
        }
        if (kp.getPublic() instanceof ECPublicKey ec) {
            return new ECKey.Builder(Curve.P_256, ec).keyID(kid).build();
        }
        byte[] spki = kp.getPublic().getEncoded();
        return new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(Arrays.copyOfRange(spki, spki.length - 32, spki.length)))
                .keyID(kid).build();
    }

    public static Path writeJwks(Path file, List<JWK> keys) throws java.io.IOException {
        return Files.writeString(file, new JWKSet(keys).toString(true));
    }

    public static TokenMinter minter(KeyPair kp, String kid, Clock clock) {
        return TokenMinter.withPrivateKey(kp.getPrivate(), null, kid, clock);
    }
}
