package io.stickyring.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.chat.auth.TokenMinter;
import io.stickyring.chat.server.ChatNode;
import io.stickyring.chat.server.Frames;
import io.stickyring.chat.server.NodeConfig;
import io.stickyring.chat.server.WsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A node started from the recipe's own config (deploy/config/node1.yaml; only the addresses of
 * external services and the secret file's path are replaced with local ones) gives an anonymous
 * caller no token, while a token the backend mints with the cluster's secret works.
 */
@Timeout(120)
class RecipeNodeLoginTest {
    static final Path NODE1 = Path.of("..", "deploy", "config", "node1.yaml");

    @TempDir
    Path dir;

    @Test
    void theRecipesNodeIssuesNoTokenToAnAnonymousCaller() throws Exception {
        assertThat(NODE1).exists();
        Path secret = Files.writeString(dir.resolve("secret"), "recipe-test-secret-0123456789abcdef-0123\n");
        try (TestingServer zk = new TestingServer(true)) {
            NodeCommand given = new NodeCommand();
            new CommandLine(given).parseArgs("--config", NODE1.toString(), "--listen", "127.0.0.1:0", "--advertise", "127.0.0.1:9001", "--zk", zk.getConnectString(),
                    "--store", "sqlite:" + dir.resolve("chat.db"), "--bus", "local", "--secret-file", secret.toString());
            NodeCommand cmd = given.config.resolve(NodeCommand::new);
            NodeConfig config = cmd.toConfig();
            try (ChatNode node = ChatNode.start(config)) {
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                HttpResponse<String> login = http.sendAsync(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + node.address().getPort() + "/api/login"))
                        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString("{\"user\":\"bob\"}")).build(),
                        HttpResponse.BodyHandlers.ofString()).orTimeout(10, TimeUnit.SECONDS).join();
                assertThat(login.body()).doesNotContain("token\"");
                assertThat(login.statusCode()).isEqualTo(404);
                assertThat(config.devLogin()).isFalse();

                // The way in is a token from the backend, signed with the cluster's secret.
                String token = TokenMinter.hs256(Files.readString(secret).trim().getBytes(StandardCharsets.UTF_8), Clock.systemUTC())
                        .mint("bob", Duration.ofMinutes(5), null, null);
                try (WsClient ws = WsClient.connect(node.address().getPort())) {
                    ws.send(Frames.frame("hello").put("token", token).put("cursor", 0));
                    assertThat(ws.next("welcome").get("user").asText()).isEqualTo("bob");
                }
            }
        }
    }
}
