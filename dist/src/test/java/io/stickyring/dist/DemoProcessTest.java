package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stickyring demo} as its own JVM, the way the launcher runs it: SIGTERM (what Ctrl-C and
 * service managers send) stops everything; SIGKILL of the demo leaves no orphan node (the children
 * notice on their own); the stdin console answers {@code status} and stops on {@code quit}.
 */
class DemoProcessTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private final List<DemoProcess> started = new ArrayList<>();
    private final List<ProcessHandle> nodes = new ArrayList<>();

    @AfterEach
    void cleanUp() throws InterruptedException {
        for (DemoProcess d : started) {
            d.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (ProcessHandle n : nodes) {
            if (n.isAlive()) {
                n.destroyForcibly();
                throw new AssertionError("node process " + n.pid() + " outlived its demo");
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void sigtermStopsTheLbEveryNodeAndZooKeeper() throws Exception {
        DemoProcess demo = start(true, "--algorithm", "maglev");
        List<ProcessHandle> children = demo.nodeProcesses();
        assertThat(children).hasSize(2);
        // --algorithm reaches the LB.
        JsonNode status = LoopbackChatClient.JSON.readTree(HTTP.send(HttpRequest.newBuilder(demo.control.resolve("status")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        String members = HTTP.send(HttpRequest.newBuilder(URI.create(status.path("admin").asText() + "members")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(LoopbackChatClient.JSON.readTree(members).path("algorithm").asText()).isEqualToIgnoringCase("maglev");

        demo.process.toHandle().destroy(); // SIGTERM, as Ctrl-C (SIGINT) or systemd would
        assertThat(demo.process.waitFor(60, TimeUnit.SECONDS)).as("demo exited after SIGTERM").isTrue();
        assertThat(demo.process.exitValue()).isEqualTo(143);
        demo.awaitLine(l -> l.contains("zookeeper  stopped"), Duration.ofSeconds(10));
        assertThat(demo.seen).anyMatch(l -> l.contains("node n1    stopped")).anyMatch(l -> l.contains("node n2    stopped"));
        for (ProcessHandle c : children) {
            assertThat(c.isAlive()).as("node pid %d after the demo stopped", c.pid()).isFalse();
        }
        // Graceful: each node drained and deregistered rather than being killed.
        assertThat(Files.readString(dir.resolve("data/n1/node.log"))).contains("draining");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void sigkillOfTheDemoLeavesNoOrphanNodeAndTheNextDemoStartsOnTheSameData() throws Exception {
        DemoProcess demo = start(true);
        List<ProcessHandle> children = demo.nodeProcesses();
        assertThat(children).hasSize(2).allSatisfy(c -> assertThat(c.isAlive()).isTrue());

        demo.process.destroyForcibly(); // SIGKILL: no shutdown hook runs in the demo
        assertThat(demo.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        for (ProcessHandle c : children) {
            assertThat(c.onExit()).as("node pid %d exits once its demo is gone", c.pid()).succeedsWithin(Duration.ofSeconds(30));
        }
        assertThat(Files.readString(dir.resolve("data/n1/node.log"))).contains("stdin closed (demo process gone)");

        // The same data directory serves the next demo: lock released by the OS, the crashed run's
        // ZooKeeper sessions expire, every node registers again.
        DemoProcess next = start(true);
        assertThat(next.nodeProcesses()).hasSize(2);
        next.process.toHandle().destroy();
        assertThat(next.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void remoteControlConsoleAndDataDirLockOnARunningDemo() throws Exception {
        DemoProcess demo = start(false);
        List<ProcessHandle> children = demo.nodeProcesses();
        String port = Integer.toString(demo.control.getPort());

        // A second demo on the same data directory is refused before it starts anything.
        DemoCommandTest.Result second = DemoCommandTest.run("demo", "--port", "0", "--admin-port", "0", "--control-port", "0",
                "--data", dir.resolve("data").toString(), "--no-console");
        assertThat(second.code()).isEqualTo(1);
        assertThat(second.err()).contains("is in use by another running demo (pid " + demo.process.pid() + ")");

        // `stickyring demo --kill/--start/--status` from another terminal talks to the running demo.
        DemoCommandTest.Result status = DemoCommandTest.run("demo", "--control-port", port, "--status");
        assertThat(status.code()).isZero();
        assertThat(status.out()).contains("\"id\" : \"n2\"", "\"running\" : true");
        ProcessHandle n2 = children.get(1);
        DemoCommandTest.Result kill = DemoCommandTest.run("demo", "--control-port", port, "--kill", "n2", "--signal", "KILL");
        assertThat(kill.code()).as(kill.err()).isZero();
        assertThat(kill.out()).contains("killed n2", "SIGKILL", "exit status 137");
        assertThat(n2.isAlive()).isFalse();
        DemoCommandTest.Result again = DemoCommandTest.run("demo", "--control-port", port, "--kill", "n2");
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("node n2 is not running");
        DemoCommandTest.Result unknown = DemoCommandTest.run("demo", "--control-port", port, "--start", "n9");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("no node 'n9' (nodes: n1, n2)");
        assertThat(DemoCommandTest.run("demo", "--control-port", port, "--kill", "n1", "--signal", "HUP").err())
                .contains("--signal (HUP) must be TERM or KILL");

        // The console on stdin sees the same demo.
        OutputStream stdin = demo.process.getOutputStream();
        stdin.write("status\nkill n7\nfrobnicate\nquit\n".getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        demo.awaitLine(l -> l.contains("n1") && l.contains("running") && l.contains("LB: ACTIVE"), Duration.ofSeconds(20));
        demo.awaitLine(l -> l.contains("n2") && l.contains("stopped (exit 137)"), Duration.ofSeconds(20));
        demo.awaitLine(l -> l.contains("error: no node 'n7' (nodes: n1, n2)"), Duration.ofSeconds(20));
        demo.awaitLine(l -> l.contains("error: unknown command 'frobnicate'"), Duration.ofSeconds(20));
        assertThat(demo.process.waitFor(60, TimeUnit.SECONDS)).as("demo exited after quit").isTrue();
        assertThat(demo.process.exitValue()).isZero();
        for (ProcessHandle c : children) {
            assertThat(c.isAlive()).isFalse();
        }
    }

    private DemoProcess start(boolean noConsole, String... extra) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "demo", "--nodes", "2", "--port", "0", "--admin-port", "0", "--control-port", "0",
                "--drain-period", "0", "--data", dir.resolve("data").toString()));
        if (noConsole) {
            cmd.add("--no-console");
        }
        cmd.addAll(List.of(extra));
        DemoProcess d = new DemoProcess(new ProcessBuilder(cmd).redirectErrorStream(true).start());
        started.add(d);
        String line = d.awaitLine(l -> l.contains("demo control endpoint on "), Duration.ofSeconds(90));
        d.control = URI.create(line.substring(line.indexOf("http://")).trim());
        return d;
    }

    private final class DemoProcess {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> seen = new CopyOnWriteArrayList<>();
        URI control;

        DemoProcess(Process process) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (Exception e) {
                    // process gone
                }
            }, "demo-child-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        /** The node processes, by pid from the control endpoint's /status; remembered for the leak check. */
        List<ProcessHandle> nodeProcesses() throws Exception {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(control.resolve("status")).build(), HttpResponse.BodyHandlers.ofString());
            List<ProcessHandle> out = new ArrayList<>();
            for (JsonNode n : LoopbackChatClient.JSON.readTree(r.body()).path("nodes")) {
                assertThat(n.path("running").asBoolean()).as(n.toString()).isTrue();
                out.add(ProcessHandle.of(n.path("pid").asLong()).orElseThrow());
            }
            nodes.addAll(out);
            return out;
        }

        String awaitLine(Predicate<String> match, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            for (String s : seen) {
                if (match.test(s)) {
                    return s;
                }
            }
            while (true) {
                long left = deadline - System.nanoTime();
                String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
                if (line == null) {
                    throw new AssertionError("no matching line from stickyring demo within " + timeout + "; alive: " + process.isAlive()
                            + "; output:\n" + String.join("\n", seen));
                }
                seen.add(line);
                if (match.test(line)) {
                    return line;
                }
            }
        }
    }
}
