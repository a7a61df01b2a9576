package io.stickyring.chat.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A chat node in a child JVM ({@code io.stickyring.chat.NodeMain} on the test classpath), so tests
 * can kill it with SIGKILL ({@link Process#destroyForcibly()} on Linux) exactly as a crash would.
 */
final class NodeProcess implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
    final Process process;
    final int port;
    final List<String> output = new ArrayList<>();

    private NodeProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static NodeProcess start(Path db, String id, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), "io.stickyring.chat.NodeMain",
                "--listen", "127.0.0.1:0", "--id", id, "--store", "sqlite:" + db,
                "--drain-period", "0s", "--rate", "100000", "--rate-burst", "100000", "--io-threads", "1"));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("STICKYRING_SECRET", new String(TestNodes.SECRET, StandardCharsets.UTF_8));
        Process p = pb.start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        List<String> out = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (out) {
                        out.add(line);
                    }
                    Matcher m = READY.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException e) {
                // process gone
            }
            port.completeExceptionally(new IllegalStateException("node process exited before serving: " + out));
        }, "node-process-output");
        reader.setDaemon(true);
        reader.start();
        try {
            NodeProcess np = new NodeProcess(p, port.get(60, TimeUnit.SECONDS));
            np.output.addAll(out);
            return np;
        } catch (Exception e) {
            p.destroyForcibly();
            throw e;
        }
    }

    /** SIGKILL: no shutdown hook, no flush, no goodbye. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("process did not die");
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                kill9();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
