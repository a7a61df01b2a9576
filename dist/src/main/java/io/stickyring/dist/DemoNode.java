package io.stickyring.dist;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One chat node of the demo as a child JVM: its id, its data directory and log file, and the
 * current {@link Process} if any. Output (stdout and stderr) is appended to {@code node.log} in its
 * data directory, so a node keeps logging even while the demo is busy, and the log survives it.
 *
 * <p>Invariant: at most one process per node at a time; {@link #start} returns only once the node
 * printed its "listening on HOST:PORT" line (it is registered in ZooKeeper by then), and
 * {@link #kill(boolean, Duration)} returns only once the process is gone.
 */
final class DemoNode {

    /** Node status as the console, the control endpoint and the tests see it. */
    record Status(String id, boolean running, long pid, String address, Integer lastExitCode, Path log) { }

    private final String id;
    private final Path dir;
    private final Path log;
    private Process process;
    private InetSocketAddress address;
    private Integer lastExitCode;

    DemoNode(String id, Path dir) {
        this.id = id;
        this.dir = dir;
        this.log = dir.resolve("node.log");
    }

    String id() {
        return id;
    }

    Path dir() {
        return dir;
    }

    /**
     * Starts the process and waits until it serves.
     *
     * @throws IllegalStateException if it is already running, exits early (with the log tail), or is
     *                               not serving within {@code timeout} (then it is killed)
     */
    synchronized InetSocketAddress start(List<String> command, Map<String, String> env, Duration timeout) throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("node " + id + " is already running (pid " + process.pid() + ")");
        }
        Files.createDirectories(dir);
        long offset = Files.exists(log) ? Files.size(log) : 0;
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // stdin stays a pipe: its EOF tells the child that the demo is gone (see ChildMain).
        pb.environment().putAll(env);
        Process p = pb.start();
        process = p;
        address = null;
        lastExitCode = null;
        Pattern ready = Pattern.compile("stickyring node " + Pattern.quote(id) + " listening on (\\S+):(\\d+)");
        long deadline = System.nanoTime() + timeout.toNanos();
        Deque<String> tail = new ArrayDeque<>();
        try (RandomAccessFile in = new RandomAccessFile(log.toFile(), "r")) {
            in.seek(offset);
            StringBuilder line = new StringBuilder();
            while (true) {
                String next = readLine(in, line);
                if (next != null) {
                    tail.addLast(next);
                    if (tail.size() > 20) {
                        tail.removeFirst();
                    }
                    Matcher m = ready.matcher(next);
                    if (m.find()) {
                        address = new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
                        return address;
                    }
                    continue;
                }
                if (!p.isAlive()) {
                    lastExitCode = p.exitValue();
                    throw new IllegalStateException("node " + id + " exited with status " + lastExitCode + " before serving; last lines of "
                            + log + ":\n  " + String.join("\n  ", tail));
                }
                if (System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    throw new IllegalStateException("node " + id + " not serving within " + timeout.toSeconds() + " s (killed it); last lines of "
                            + log + ":\n  " + String.join("\n  ", tail));
                }
                Thread.sleep(50); // polling the log file; the child writes it, not us
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IllegalStateException("interrupted while starting node " + id, e);
        }
    }

    /** The next complete line from {@code in}, or null if none is complete yet (partial text stays in {@code buf}). */
    private static String readLine(RandomAccessFile in, StringBuilder buf) throws IOException {
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                String s = new String(buf.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
                buf.setLength(0);
                return s;
            }
            buf.append((char) b);
        }
        return null;
    }

    /**
     * Stops the process: {@code force} = SIGKILL ({@link Process#destroyForcibly()}), a crash with no
     * goodbye; otherwise SIGTERM, so the node drains and deregisters, and SIGKILL only if it is still
     * alive after {@code graceful}.
     *
     * @return the exit status (137 after SIGKILL, 143 after SIGTERM on Linux)
     * @throws IllegalStateException if the node is not running
     */
    synchronized int kill(boolean force, Duration graceful) {
        Process p = process;
        if (p == null || !p.isAlive()) {
            throw new IllegalStateException("node " + id + " is not running");
        }
        try {
            if (force) {
                p.destroyForcibly();
            } else {
                // Through the handle: Process.destroy() would also close the child's stdin, which it reads as "demo gone".
                p.toHandle().destroy();
                if (!p.waitFor(graceful.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                }
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("node " + id + " (pid " + p.pid() + ") did not die within 30 s of SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IllegalStateException("interrupted while stopping node " + id, e);
        }
        lastExitCode = p.exitValue();
        address = null;
        return lastExitCode;
    }

    /** Sends SIGTERM without waiting (shutdown of the whole demo stops every node in parallel). */
    synchronized void terminateAsync() {
        if (process != null && process.isAlive()) {
            process.toHandle().destroy();
        }
    }

    /** Waits up to {@code wait} for the process to end, then SIGKILLs it. */
    void awaitOrKill(Duration wait) throws InterruptedException {
        Process p;
        synchronized (this) {
            p = process;
        }
        if (p == null) {
            return;
        }
        if (!p.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        synchronized (this) {
            if (!p.isAlive()) {
                lastExitCode = p.exitValue();
                address = null;
            }
        }
    }

    synchronized Status status() {
        boolean running = process != null && process.isAlive();
        if (process != null && !running && lastExitCode == null) {
            lastExitCode = process.exitValue(); // died on its own
        }
        return new Status(id, running, running ? process.pid() : -1,
                running && address != null ? address.getHostString() + ":" + address.getPort() : null,
                running ? null : lastExitCode, log);
    }

    /** The current process handle, if any (tests check that every child is gone). */
    synchronized java.util.Optional<ProcessHandle> handle() {
        return process == null ? java.util.Optional.empty() : java.util.Optional.of(process.toHandle());
    }

    synchronized OptionalInt port() {
        return address == null ? OptionalInt.empty() : OptionalInt.of(address.getPort());
    }
}
