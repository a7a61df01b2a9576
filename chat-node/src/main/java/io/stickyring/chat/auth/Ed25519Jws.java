package io.stickyring.chat.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Set;

/**
 * EdDSA (Ed25519) for nimbus-jose-jwt through the JDK's own {@code Ed25519} signature (Java 15+),
 * so the optional Tink dependency nimbus would otherwise need is not pulled in. Accepts the JOSE
 * names {@code EdDSA} (RFC 8037) and {@code Ed25519} (RFC 9864) for the same signature.
 */
final class Ed25519Jws {
    static final Set<JWSAlgorithm> ALGS = Set.of(JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519);

    private Ed25519Jws() {
    }

    static JWSVerifier verifier(PublicKey key) {
        return new JWSVerifier() {
            private final JCAContext jca = new JCAContext();

            @Override
            public boolean verify(JWSHeader header, byte[] signedContent, Base64URL signature) throws JOSEException {
                if (!ALGS.contains(header.getAlgorithm())) {
                    return false;
                }
                try {
                    Signature s = Signature.getInstance("Ed25519");
                    s.initVerify(key);
                    s.update(signedContent);
                    return s.verify(signature.decode());
                } catch (GeneralSecurityException | IllegalArgumentException e) {
                    return false; // malformed signature bytes are a failed verification, not an error
                }
            }

            @Override
            public Set<JWSAlgorithm> supportedJWSAlgorithms() {
                return ALGS;
            }

            @Override
            public JCAContext getJCAContext() {
                return jca;
            }
        };
    }

    static JWSSigner signer(PrivateKey key) {
        return new JWSSigner() {
            private final JCAContext jca = new JCAContext();

            @Override
            public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
                try {
                    Signature s = Signature.getInstance("Ed25519");
                    s.initSign(key);
                    s.update(signingInput);
                    return Base64URL.encode(s.sign());
                } catch (GeneralSecurityException e) {
                    throw new JOSEException("Ed25519 signing failed: " + e.getMessage(), e);
                }
            }

            @Override
            public Set<JWSAlgorithm> supportedJWSAlgorithms() {
                return ALGS;
            }

            @Override
            public JCAContext getJCAContext() {
                return jca;
            }
        };
    }
}
