package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** /metrics and /healthz live on the admin listener (loopback, optional bearer token), never on the public port. */
@Timeout(60)
class AdminListenerTest {
    @TempDir
    Path dir;

    static HttpResponse<String> get(InetSocketAddress a, String method, String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + path))
                .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return WsClient.HTTP.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).orTimeout(10, TimeUnit.SECONDS).join();
    }

    @Test
    void metricsAndHealthAreOnTheAdminListenerOnly() throws Exception {
        try (ChatNode node = TestNodes.start(dir)) {
            InetSocketAddress admin = node.adminAddress();
            assertThat(admin.getAddress().isLoopbackAddress()).as("loopback by default").isTrue();
            assertThat(admin.getPort()).isNotEqualTo(node.address().getPort());
            HttpResponse<String> m = get(admin, "GET", "/metrics", null);
            assertThat(m.statusCode()).isEqualTo(200);
            assertThat(m.body()).contains("stickyring_chat_connections", "stickyring_chat_commit_latency_seconds", "jvm_memory");
            HttpResponse<String> h = get(admin, "GET", "/healthz", null);
            assertThat(h.statusCode()).isEqualTo(200);
            assertThat(h.body()).contains("\"node\":\"n1\"").contains("\"state\":\"ACTIVE\"");
            assertThat(get(admin, "POST", "/healthz", null).statusCode()).isEqualTo(405);
            assertThat(get(admin, "GET", "/api/login", null).statusCode()).isEqualTo(404);
            // The public chat port answers neither.
            assertThat(get(node.address(), "GET", "/metrics", null).statusCode()).isEqualTo(404);
            assertThat(get(node.address(), "GET", "/healthz", null).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void anAdminTokenGuardsMetricsButNotHealth() throws Exception {
        Path tokenFile = Files.writeString(dir.resolve("admin-token"), "s3cret-admin-token\n");
        try (ChatNode node = TestNodes.start(dir, "n1", b -> b.adminTokenFile = tokenFile)) {
            InetSocketAddress admin = node.adminAddress();
            assertThat(get(admin, "GET", "/metrics", null).statusCode()).isEqualTo(401);
            assertThat(get(admin, "GET", "/metrics", "wrong").statusCode()).isEqualTo(401);
            assertThat(get(admin, "GET", "/metrics", "s3cret-admin-token").statusCode()).isEqualTo(200);
            assertThat(get(admin, "GET", "/healthz", null).statusCode()).isEqualTo(200);
        }
    }
}
