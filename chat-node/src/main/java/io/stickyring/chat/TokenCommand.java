package io.stickyring.chat;

import io.stickyring.cli.ConfigOption;

import com.nimbusds.jose.JWSAlgorithm;
import io.stickyring.chat.auth.KeyFiles;
import io.stickyring.cli.DurationConverter;
import io.stickyring.chat.auth.TokenMinter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code stickyring token}: prints one JWT for {@code --user}, signed HS256 with the cluster's
 * secret or RS256/ES256/EdDSA with a PKCS#8 private key, the same tokens a backend would issue
 * (docs/security.md). The secret never comes from argv: {@code --secret-file} or env
 * {@code STICKYRING_SECRET}.
 */
@Command(name = "token", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print a JWT for a user (for operators, scripts and tests). See docs/security.md.")
public final class TokenCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ConfigOption config = new ConfigOption();

    @Option(names = "--user", required = true, paramLabel = "ID", description = "User id, the token's 'sub' ([A-Za-z0-9_.@-]{1,64}, case-sensitive)")
    String user;

    @Option(names = "--ttl", converter = DurationConverter.class, defaultValue = "1h", description = "Lifetime, 'exp' - 'iat' (default: ${DEFAULT-VALUE})")
    Duration ttl;

    @Option(names = "--secret-file", paramLabel = "FILE", description = "Sign HS256 with the secret in FILE (or env STICKYRING_SECRET)")
    Path secretFile;

    @Option(names = "--private-key", paramLabel = "PEM", description = "Sign with this PKCS#8 private key (RSA -> RS256, EC P-256 -> ES256, Ed25519 -> EdDSA)")
    Path privateKey;

    @Option(names = "--alg", paramLabel = "RS256|ES256|EdDSA", description = "Algorithm for --private-key; must fit the key (default: the key's)")
    String alg;

    @Option(names = "--aud", paramLabel = "A", description = "'aud' claim")
    String audience;

    @Option(names = "--iss", paramLabel = "I", description = "'iss' claim")
    String issuer;

    @Option(names = "--kid", paramLabel = "K", description = "'kid' header (selects the key in a JWKS)")
    String kid;

    @Override
    public Integer call() {
        TokenCommand self = config.resolve(TokenCommand::new);
        if (self != this) {
            return self.call();
        }
        TokenMinter minter;
        try {
            minter = minter();
            if (ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("--ttl (" + ttl + ") must be > 0");
            }
            spec.commandLine().getOut().println(minter.mint(user, ttl, audience, issuer));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        spec.commandLine().getOut().flush();
        return 0;
    }

    private TokenMinter minter() {
        if (secretFile != null && privateKey != null) {
            throw new IllegalArgumentException("give --secret-file or --private-key, not both");
        }
        if (privateKey != null) {
            JWSAlgorithm a = null;
            if (alg != null) {
                a = switch (alg.toUpperCase(Locale.ROOT)) {
                    case "RS256" -> JWSAlgorithm.RS256;
                    case "ES256" -> JWSAlgorithm.ES256;
                    case "EDDSA" -> JWSAlgorithm.EdDSA;
                    default -> throw new IllegalArgumentException("--alg (" + alg + ") must be RS256, ES256 or EdDSA");
                };
            }
            return TokenMinter.withPrivateKey(KeyFiles.privateKeyFromPem(read(privateKey, "--private-key"), privateKey.toString()),
                    a, kid, Clock.systemUTC());
        }
        if (alg != null && !alg.equalsIgnoreCase("HS256")) {
            throw new IllegalArgumentException("--alg (" + alg + ") needs --private-key; a secret signs HS256");
        }
        String secret = secretFile != null ? read(secretFile, "--secret-file").trim() : System.getenv("STICKYRING_SECRET");
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("no key: give --secret-file FILE (or env STICKYRING_SECRET) or --private-key PEM");
        }
        if (kid != null) {
            throw new IllegalArgumentException("--kid (" + kid + ") applies to --private-key only");
        }
        return TokenMinter.hs256(secret.getBytes(StandardCharsets.UTF_8), Clock.systemUTC());
    }

    private static String read(Path file, String flag) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(flag + " (" + file + ") cannot be read: " + e.getMessage());
        }
    }
}
