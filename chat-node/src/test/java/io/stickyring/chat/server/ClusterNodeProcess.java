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
 * A chat node in a child JVM on a shared PostgreSQL store and NATS bus (cluster mode), so tests can
 * run several and kill one with SIGKILL. Like {@link NodeProcess}, but with any store and bus spec.
 */
final class ClusterNodeProcess implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("admin on 127\\.0\\.0\\.1:(\\d+)");
    final String id;
    final Process process;
    final int port;
    /** The admin listener's port: /metrics and /healthz are not served on the public port. */
    final int adminPort;
    private final List<String> output;

    private ClusterNodeProcess(String id, Process process, int port, int adminPort, List<String> output) {
        this.id = id;
        this.process = process;
        this.port = port;
        this.adminPort = adminPort;
        this.output = output;
    }

    static ClusterNodeProcess start(String id, String storeSpec, String busSpec, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx192m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "io.stickyring.chat.NodeMain",
                "--listen", "127.0.0.1:0", "--id", id, "--store", storeSpec, "--bus", busSpec,
                "--drain-period", "0s", "--rate", "100000", "--rate-burst", "100000", "--io-threads", "1",
                "--blocking-threads", "2"));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("STICKYRING_SECRET", new String(TestNodes.SECRET, StandardCharsets.UTF_8));
        Process p = pb.start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        CompletableFuture<Integer> adminPort = new CompletableFuture<>();
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
                    Matcher a = ADMIN.matcher(line);
                    if (a.find()) {
                        adminPort.complete(Integer.parseInt(a.group(1)));
                    }
                }
            } catch (IOException e) {
                // process gone
            }
            synchronized (out) {
                port.completeExceptionally(new IllegalStateException("node " + id + " exited before serving: " + out));
                adminPort.completeExceptionally(new IllegalStateException("node " + id + " exited before serving: " + out));
            }
        }, "cluster-node-output-" + id);
        reader.setDaemon(true);
        reader.start();
        try {
            return new ClusterNodeProcess(id, p, port.get(90, TimeUnit.SECONDS), adminPort.get(30, TimeUnit.SECONDS), out);
        } catch (Exception e) {
            p.destroyForcibly();
            throw e;
        }
    }

    /** What the node printed so far (for failure messages). */
    String output() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    /** SIGKILL: no shutdown hook, no flush, no goodbye. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("node " + id + " did not die");
        }
    }

    /** SIGTERM: the node's shutdown hook runs (a writer leaves ZooKeeper, unsubscribes, completes its queued writes). */
    void sigterm() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("node " + id + " did not stop within 60 s of SIGTERM");
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
