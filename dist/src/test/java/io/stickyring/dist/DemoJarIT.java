package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar stickyring.jar demo} exactly as the launcher runs it, after {@code package}: the
 * shaded jar alone must bring up ZooKeeper, a node and the LB, serve the web client through the LB,
 * and stop on SIGTERM. (ZooKeeper's server once failed only in the jar, for want of dependencies its
 * pom marks 'provided' that the test classpath supplied.)
 */
class DemoJarIT {

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theJarRunsTheDemoAndServesTheWebClientThroughTheLb() throws Exception {
        Path jar = Path.of(System.getProperty("stickyring.jar", "target/stickyring.jar"));
        assertThat(jar).exists();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-Xmx256m", "-jar", jar.toString(), "demo", "--nodes", "1", "--port", "0",
                "--admin-port", "0", "--control-port", "0", "--data", dir.resolve("data").toString(), "--no-console"))
                .redirectErrorStream(true).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        CompletableFuture<String> web = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                    if (line.contains("NoClassDefFoundError") || line.contains("ClassNotFoundException")) {
                        web.completeExceptionally(new AssertionError("the jar lacks a class: " + line));
                    }
                    if (line.trim().startsWith("Web client:")) {
                        web.complete(line.substring(line.indexOf("http://")).trim());
                    }
                }
            } catch (Exception e) {
                // process gone
            }
            web.completeExceptionally(new AssertionError("demo ended before it was ready:\n" + String.join("\n", lines)));
        }, "demo-jar-stdout");
        reader.setDaemon(true);
        reader.start();
        try {
            URI url = URI.create(web.get(90, TimeUnit.SECONDS));
            HttpResponse<String> page = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                    .send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).containsIgnoringCase("<html");
            assertThat(lines).noneMatch(l -> l.contains("NoClassDefFoundError") || l.contains("ClassNotFoundException"));

            // The LB's access lines go to DATA/access.log, not to the console the prompt is on.
            try (java.net.Socket s = new java.net.Socket(url.getHost(), url.getPort())) {
                s.getOutputStream().write("GET /healthz HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getInputStream().readAllBytes();
            }
            Path access = dir.resolve("data/access.log");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> Files.exists(access) && Files.readString(access).contains("close client=127.0.0.1:"));
            assertThat(lines).noneMatch(l -> l.contains("lb.access") || l.contains("close client="));

            p.toHandle().destroy();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(143);
            assertThat(lines).anyMatch(l -> l.contains("demo: zookeeper  stopped"));
            assertThat(Files.readString(dir.resolve("data/n1/node.log"))).contains("stickyring node n1 listening on");
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
