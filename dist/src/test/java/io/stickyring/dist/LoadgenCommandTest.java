package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stickyring.chat.loadgen.LoadgenConfig;
import io.stickyring.chat.server.ChatNode;
import io.stickyring.chat.server.NodeConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code stickyring loadgen}: the command wires chat-client's load generator to the server's token
 * minter (for {@code --secret-file}), which is why it lives in dist rather than in chat-client.
 */
@Timeout(120)
class LoadgenCommandTest {
    private static final byte[] SECRET = "loadgen-test-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private ChatNode node(boolean devLogin) throws Exception {
        return ChatNode.start(NodeConfig.defaults("127.0.0.1", 0, "n1", "sqlite:" + dir.resolve("n.db"), SECRET).with(b -> {
            b.ioThreads = 1;
            b.blockingThreads = 2;
            b.devLogin = devLogin;
        }).build());
    }

    @Test
    void commandValidatesFlagsNamingTheValueAndWritesJson() throws Exception {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new LoadgenCommand()).setErr(new PrintWriter(err));
        assertThat(cl.execute("--users", "3")).isEqualTo(2);
        assertThat(err.toString()).contains("users (3) must be even");
        err.getBuffer().setLength(0);
        assertThat(cl.execute("--shape", "ring")).isEqualTo(2);
        assertThat(err.toString()).contains("shape (ring)");
        assertThatThrownBy(() -> new LoadgenConfig(URI.create("http://x:1"), 10, 0, 64, LoadgenConfig.Shape.DIRECT, 2,
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), 1, 0, "p", Duration.ofSeconds(1), null, Duration.ZERO))
                .hasMessageContaining("rate (0.0)");
        try (ChatNode n = node(true)) {
            Path out = dir.resolve("r.json");
            Path yaml = dir.resolve("lg.yaml");
            Files.writeString(yaml, "users: 4\nrate: 500\nduration: 1s\n");
            int code = new CommandLine(new LoadgenCommand()).execute("--config", yaml.toString(), "--rate", "40",
                    "--url", "http://127.0.0.1:" + n.address().getPort(), "--json", out.toString(), "--threads", "1",
                    "--ip-base", "4");
            assertThat(code).isZero();
            JsonNode json = new ObjectMapper().readTree(out.toFile());
            assertThat(json.path("config").path("users").asInt()).isEqualTo(4);
            assertThat(json.path("config").path("rate").asDouble()).isEqualTo(40.0); // flag beats file
            assertThat(json.path("sent").asLong()).isBetween(20L, 60L);
            assertThat(json.path("correct").asBoolean()).isTrue();
        }
    }

    @Test
    void secretFileMintsTokensANodeWithoutDevLoginAccepts() throws Exception {
        Path secret = Files.write(dir.resolve("secret"), SECRET);
        try (ChatNode n = node(false)) {
            Path out = dir.resolve("r.json");
            StringWriter err = new StringWriter();
            int code = Main.commandLine().setErr(new PrintWriter(err, true)).execute("loadgen",
                    "--users", "2", "--rate", "20", "--duration", "1s", "--threads", "1", "--ip-base", "6",
                    "--url", "http://127.0.0.1:" + n.address().getPort(), "--secret-file", secret.toString(), "--json", out.toString());
            assertThat(code).as(err.toString()).isZero();
            JsonNode json = new ObjectMapper().readTree(out.toFile());
            assertThat(json.path("acked").asLong()).isPositive();
            assertThat(json.path("correct").asBoolean()).isTrue();
        }
    }
}
