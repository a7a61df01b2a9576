package io.stickyring.lb.support;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code stickyring lb} ({@link LbMain}) in a child JVM on the test class path, for tests that send it
 * signals or limit its resources; its output lines are collected as they come.
 */
public final class ChildLb implements AutoCloseable {

    public final Process process;
    /** Output lines in order, each taken once ({@code poll} to wait for the next). */
    public final BlockingQueue<String> next = new LinkedBlockingQueue<>();
    /** Every output line so far. */
    public final List<String> all = new CopyOnWriteArrayList<>();

    private ChildLb(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    all.add(l);
                    next.add(l);
                }
            } catch (java.io.IOException e) {
                // the child went away: the test's waits time out with a message
            }
        }, "child-lb-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code lb args...}; {@code withStderr}: its standard error joins the lines, else it is dropped. */
    public static ChildLb start(boolean withStderr, String... args) throws java.io.IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), LbMain.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (withStderr) {
            pb.redirectErrorStream(true);
        } else {
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        return new ChildLb(pb.start());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
