package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.chat.auth.TokenService;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code stickyring token} through the one jar's {@link Main}: the printed JWT is one a node with that secret accepts. */
@Timeout(30)
class TokenSubcommandTest {
    @TempDir
    Path dir;

    @Test
    void theLauncherMintsATokenANodeAccepts() throws Exception {
        byte[] secret = "launcher-token-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
        Path file = Files.write(dir.resolve("secret"), secret);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute("token", "--user", "john.doe", "--ttl", "5m", "--secret-file", file.toString());
        assertThat(code).as(err.toString()).isZero();
        assertThat(new TokenService(secret, Duration.ofHours(1), Clock.systemUTC()).verify(out.toString().trim())).contains("john.doe");
    }
}
