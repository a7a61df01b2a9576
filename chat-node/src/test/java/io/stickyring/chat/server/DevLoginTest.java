package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Dev login: off unless configured, a WARN at every start when on, refused on a public address without the insecure flag. */
@Timeout(60)
class DevLoginTest {
    @TempDir
    Path dir;
    final ListAppender<ILoggingEvent> log = new ListAppender<>();
    final Logger chatNodeLog = (Logger) LoggerFactory.getLogger(ChatNode.class);

    @BeforeEach
    void capture() {
        log.start();
        chatNodeLog.addAppender(log);
    }

    @AfterEach
    void release() {
        chatNodeLog.detachAppender(log);
    }

    static int login(ChatNode node) {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.address().getPort() + "/api/login"))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString("{\"user\":\"bob\"}")).build();
        return WsClient.HTTP.sendAsync(req, HttpResponse.BodyHandlers.ofString()).orTimeout(10, TimeUnit.SECONDS).join().statusCode();
    }

    boolean warned() {
        return log.list.stream().anyMatch(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains("DEV LOGIN IS ON"));
    }

    @Test
    void offByDefaultInTheConfigBuilder() throws Exception {
        NodeConfig config = NodeConfig.defaults("127.0.0.1", 0, "n1", "sqlite:" + dir.resolve("n.db"), TestNodes.SECRET)
                .with(b -> b.ioThreads = 1).build();
        assertThat(config.devLogin()).isFalse();
        try (ChatNode node = ChatNode.start(config)) {
            assertThat(login(node)).isEqualTo(404);
        }
        assertThat(warned()).isFalse();
    }

    @Test
    void onItServesLoginAndWarnsAtEveryStart() throws Exception {
        for (int start = 1; start <= 2; start++) {
            log.list.clear();
            try (ChatNode node = TestNodes.start(dir, "n1", b -> b.devLogin = true)) {
                assertThat(login(node)).isEqualTo(200);
            }
            assertThat(warned()).as("start " + start).isTrue();
        }
    }

    @Test
    void aPublicAddressNeedsTheInsecureFlag() {
        assertThatThrownBy(() -> TestNodes.config(dir, "n1").with(b -> b.host = "0.0.0.0").build())
                .hasMessageContaining("0.0.0.0").hasMessageContaining("--insecure-dev-login-on-public-address");
        assertThat(TestNodes.config(dir, "n1").with(b -> {
            b.host = "0.0.0.0";
            b.insecureDevLoginOnPublicAddress = true;
        }).build().devLogin()).isTrue();
    }
}
