package io.stickyring.chat.bus;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A private nats-server on a free loopback port, for tests that stop and restart NATS (the
 * machine's shared server on 4222 is never touched). Also the shared server's address and a
 * per-run subject prefix, so parallel runs never see each other's events.
 */
public final class NatsTestServer implements AutoCloseable {
    public static final String SHARED = System.getenv().getOrDefault("STICKYRING_NATS_URL", "nats://127.0.0.1:4222");
    private static final String BINARY = System.getenv().getOrDefault("STICKYRING_NATS_SERVER", "/usr/sbin/nats-server");

    public final int port;
    private Process process;

    private NatsTestServer(int port) {
        this.port = port;
    }

    /** A subject prefix nobody else uses. */
    public static String uniquePrefix() {
        return "srtest." + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    public static NatsTestServer start() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        NatsTestServer server = new NatsTestServer(port);
        server.restart();
        return server;
    }

    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    /** Starts (again) on the same port and waits until it accepts connections. */
    public void restart() throws IOException {
        if (!Files.isExecutable(Path.of(BINARY))) {
            throw new IllegalStateException("nats-server not found at " + BINARY + " (set STICKYRING_NATS_SERVER)");
        }
        process = new ProcessBuilder(BINARY, "-a", "127.0.0.1", "-p", String.valueOf(port))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("nats-server on port " + port + " exited with " + process.exitValue());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** Stops the server (SIGKILL: no lame-duck goodbye) and waits for it to be gone. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("nats-server did not stop");
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
