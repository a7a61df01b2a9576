package io.stickyring.chat.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs {@code bench/web/run.sh}: the web client in headless Chromium (two users, exchange, node
 * stopped, queued messages, node back, each delivered once; screenshot saved). Skipped, with the
 * script's reason, only when chromium or node/npm cannot be installed (exit code 77).
 */
@Timeout(600)
class WebClientBrowserTest {
    @Test
    void webClientQueuesOfflineAndDeliversOnceInHeadlessChromium() throws Exception {
        Path script = Path.of("..", "bench", "web", "run.sh").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isExecutable(script), "no " + script);
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
        pb.environment().put("NODE_CP", System.getProperty("java.class.path"));
        pb.environment().put("NODE_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        pb.environment().putIfAbsent("SCREENSHOT", Path.of("target", "web-client.png").toAbsolutePath().toString());
        Process p = pb.start();
        List<String> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                out.add(line);
                System.out.println("[web] " + line);
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("run.sh did not exit");
        }
        int code = p.exitValue();
        Assumptions.assumeTrue(code != 77, () -> "browser test skipped: " + String.join(" | ", out));
        assertThat(code).as(String.join("\n", out)).isZero();
        assertThat(out).contains("PASS web client test");
    }
}
