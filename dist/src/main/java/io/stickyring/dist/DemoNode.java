package io.stickyring.dist;

import io.stickyring.chat.cluster.NodeRole;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One chat node of the demo as a child JVM: its id, its data directory and log file, and the
 * current {@link Process} if any. Output (stdout and stderr) is appended to {@code node.log} in its
 * data directory, so a node keeps logging even while the demo is busy, and the log survives it.
 *
 * <p>Invariant: at most one process per node at a time (start and kill hold one lock; status never
 * waits for it); {@link #start} returns only once the node
 * printed its "listening on HOST:PORT" line (it is registered in ZooKeeper by then) and the
 * "admin on HOST:PORT" line that follows it, and
 * {@link #kill(boolean, Duration)} returns only once the process is gone.
 */
final class DemoNode {

    /** Node status as the console, the control endpoint and the tests see it. */
    record Status(String id, NodeRole role, boolean running, long pid, String address, String admin, Integer lastExitCode, Path log) { }

    private final String id;
    private final NodeRole role;
    private final Path dir;
    private final Path log;
    /** Held by start and kill (which may take seconds); status reads the volatile fields without it. */
    private final Object lifecycle = new Object();
    private volatile Process process;
    private volatile InetSocketAddress address;
    /** The node's metrics and health listener, "HOST:PORT" (from its "admin on" line). */
    private volatile String admin;
    private volatile Integer lastExitCode;

    DemoNode(String id, NodeRole role, Path dir) {
        this.id = id;
        this.role = role;
        this.dir = dir;
        this.log = dir.resolve("node.log");
    }

    String id() {
        return id;
    }

    NodeRole role() {
        return role;
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
    InetSocketAddress start(List<String> command, Map<String, String> env, Duration timeout) throws IOException {
        synchronized (lifecycle) {
            return doStart(command, env, timeout);
        }
    }

    private InetSocketAddress doStart(List<String> command, Map<String, String> env, Duration timeout) throws IOException {
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
        admin = null;
        lastExitCode = null;
        Pattern ready = Pattern.compile("stickyring node " + Pattern.quote(id) + " listening on (\\S+):(\\d+)");
        Pattern adminLine = Pattern.compile("stickyring node " + Pattern.quote(id) + " admin on (\\S+:\\d+)");
        InetSocketAddress listening = null;
        long deadline = System.nanoTime() + timeout.toNanos();
        Deque<String> tail = new ArrayDeque<>();
        try (RandomAccessFile in = new RandomAccessFile(log.toFile(), "r")) {
            in.seek(offset);
            ByteArrayOutputStream partial = new ByteArrayOutputStream();
            while (true) {
                for (String line : newLines(in, partial)) {
                    tail.addLast(line);
                    if (tail.size() > 20) {
                        tail.removeFirst();
                    }
                    Matcher m = ready.matcher(line);
                    if (m.find()) {
                        listening = new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
                    }
                    Matcher a = adminLine.matcher(line);
                    if (listening != null && a.find()) {
                        // The node prints both lines together, right after it serves.
                        admin = a.group(1);
                        address = listening;
                        return address;
                    }
                }
                if (!p.isAlive()) {
                    lastExitCode = p.exitValue();
                    newLines(in, partial).forEach(tail::addLast);
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

    /** The lines completed in {@code in} since the last call; an unfinished last line waits in {@code partial}. */
    private static List<String> newLines(RandomAccessFile in, ByteArrayOutputStream partial) throws IOException {
        List<String> lines = new ArrayList<>();
        byte[] chunk = new byte[8192];
        int n;
        while ((n = in.read(chunk)) > 0) {
            for (int i = 0; i < n; i++) {
                if (chunk[i] == '\n') {
                    lines.add(partial.toString(StandardCharsets.UTF_8));
                    partial.reset();
                } else {
                    partial.write(chunk[i]);
                }
            }
        }
        return lines;
    }

    /**
     * Stops the process: {@code force} = SIGKILL ({@link Process#destroyForcibly()}), a crash with no
     * goodbye; otherwise SIGTERM, so the node drains and deregisters, and SIGKILL only if it is still
     * alive after {@code graceful}.
     *
     * @return the exit status (137 after SIGKILL, 143 after SIGTERM on Linux)
     * @throws IllegalStateException if the node is not running
     */
    int kill(boolean force, Duration graceful) {
        synchronized (lifecycle) {
            return doKill(force, graceful);
        }
    }

    private int doKill(boolean force, Duration graceful) {
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
        admin = null;
        return lastExitCode;
    }

    /** Sends SIGTERM without waiting (shutdown of the whole demo stops every node in parallel). */
    void terminateAsync() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.toHandle().destroy();
        }
    }

    /** Waits up to {@code wait} for the process to end, then SIGKILLs it. */
    void awaitOrKill(Duration wait) throws InterruptedException {
        Process p = process;
        if (p == null) {
            return;
        }
        if (!p.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        if (!p.isAlive() && p == process) {
            lastExitCode = p.exitValue();
            address = null;
            admin = null;
        }
    }

    Status status() {
        Process p = process;
        InetSocketAddress a = address;
        String adm = admin;
        boolean running = p != null && p.isAlive();
        Integer exit = lastExitCode;
        if (p != null && !running && exit == null) {
            exit = p.exitValue(); // died on its own
        }
        return new Status(id, role, running, running ? p.pid() : -1,
                running && a != null ? a.getHostString() + ":" + a.getPort() : null, running ? adm : null, running ? null : exit, log);
    }

    /** The current process handle, if any (tests check that every child is gone). */
    java.util.Optional<ProcessHandle> handle() {
        Process p = process;
        return p == null ? java.util.Optional.empty() : java.util.Optional.of(p.toHandle());
    }
}
