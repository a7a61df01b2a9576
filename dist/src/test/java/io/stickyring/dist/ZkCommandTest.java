package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code stickyring zk} as a real child process: serves, keeps data, stops cleanly on SIGTERM. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ZkCommandTest {

    @TempDir
    Path dir;

    @Test
    void servesUntilSigtermAndKeepsItsDataAcrossRestarts() throws Exception {
        Path data = dir.resolve("zk-data");
        try (ZkProcess zk = ZkProcess.start(data)) {
            try (CuratorFramework client = client(zk.connect)) {
                client.create().creatingParentsIfNeeded().forPath("/stickyring/dev/members", "kept".getBytes(StandardCharsets.UTF_8));
                // With ZooKeeper's default jute.maxbuffer (~1 MiB) a 10 MB member payload never becomes a znode.
                assertThatThrownBy(() -> client.create().forPath("/stickyring/dev/members/huge", new byte[10 * 1024 * 1024]))
                        .isInstanceOf(KeeperException.class);
                client.blockUntilConnected(30, TimeUnit.SECONDS);
                assertThat(client.checkExists().forPath("/stickyring/dev/members/huge")).isNull();
            }
            // SIGTERM through the handle: Process.destroy() would also close our end of its stdout.
            assertThat(zk.process.toHandle().destroy()).isTrue();
            assertThat(zk.process.waitFor(30, TimeUnit.SECONDS)).as("stopped after SIGTERM").isTrue();
            assertThat(zk.process.exitValue()).isEqualTo(143);
            assertThat(zk.awaitLine(l -> l.startsWith("zk: stopped"), Duration.ofSeconds(10))).contains(data.toAbsolutePath().toString());
        }
        assertThat(data.resolve("version-2")).isDirectory();
        try (ZkProcess again = ZkProcess.start(data); CuratorFramework client = client(again.connect)) {
            assertThat(new String(client.getData().forPath("/stickyring/dev/members"), StandardCharsets.UTF_8)).isEqualTo("kept");
        }
    }

    @Test
    void helpAndBadValuesAreAnsweredWithoutStartingAServer() throws Exception {
        assertThat(run("zk", "--help").code).isZero();
        assertThat(run("zk", "--help").out).contains("--port", "--data", "--config");

        Result badPort = run("zk", "--port", "70000", "--data", dir.toString());
        assertThat(badPort.code).isEqualTo(2);
        assertThat(badPort.err).contains("port (70000)");

        Path yaml = dir.resolve("zk.yaml");
        Files.writeString(yaml, "port: 2181\nticks: 3\n");
        Result badKey = run("zk", "--config", yaml.toString());
        assertThat(badKey.code).isEqualTo(2);
        assertThat(badKey.err).contains("unknown key 'ticks'").contains(yaml.toString());

        // The keys of the old zk-only file format are refused naming the flag-name key to write.
        Files.writeString(yaml, "tickTimeMs: 500\n");
        Result oldKey = run("zk", "--config", yaml.toString());
        assertThat(oldKey.code).isEqualTo(2);
        assertThat(oldKey.err).contains("key 'tickTimeMs' is the old spelling; write tick-time-ms");
    }

    @Test
    void tickTimeIsADurationAndTheOldMillisecondFlagNamesIt() throws Exception {
        Result oldFlag = run("zk", "--data", dir.toString(), "--tick-time-ms", "500");
        assertThat(oldFlag.code).isEqualTo(2);
        assertThat(oldFlag.err).contains("--tick-time-ms (500) was replaced by --tick-time DURATION, e.g. --tick-time 500ms");
        Path yaml = dir.resolve("old.yaml");
        Files.writeString(yaml, "tick-time-ms: 500\n");
        assertThat(run("zk", "--config", yaml.toString()).err).contains("was replaced by --tick-time DURATION");
        Result bare = run("zk", "--data", dir.toString(), "--tick-time", "500");
        assertThat(bare.code).isEqualTo(2);
        assertThat(bare.err).contains("'500' needs a unit, e.g. 500ms or 500s");
        Result zero = run("zk", "--data", dir.toString(), "--tick-time", "0");
        assertThat(zero.code).isEqualTo(2);
        assertThat(zero.err).contains("tickTime (0 ms) must be in 1..60000 ms");
        ZkCommand command = new ZkCommand();
        new CommandLine(command).parseArgs("--tick-time", "1s500ms");
        assertThat(command.resolveConfig().tickTime()).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void flagsOverrideTheConfigFileWhichOverridesDefaults() throws Exception {
        Path yaml = dir.resolve("zk.yaml");
        Files.writeString(yaml, "port: 12345\ndata: /from/file\ntick-time: 500ms\n");
        ZkCommand command = new ZkCommand();
        new CommandLine(command).parseArgs("--config", yaml.toString(), "--port", "0");
        var config = command.resolveConfig();
        assertThat(config.port()).isZero();
        assertThat(config.dataDir()).isEqualTo(Path.of("/from/file"));
        assertThat(config.tickTime()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.maxClientCnxns()).isZero();
    }

    private static CuratorFramework client(String connect) {
        CuratorFramework client = CuratorFrameworkFactory.newClient(connect, 5000, 5000, new RetryOneTime(100));
        client.start();
        return client;
    }

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    /** A child JVM running {@code stickyring zk --port 0}; its output lines are queued for bounded waits. */
    private static final class ZkProcess implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        final String connect;

        private ZkProcess(Process process) throws InterruptedException {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (Exception e) {
                    // Process gone.
                }
            }, "zk-child-stdout");
            reader.setDaemon(true);
            reader.start();
            this.connect = awaitLine(l -> l.startsWith("connect="), Duration.ofSeconds(60)).substring("connect=".length());
        }

        static ZkProcess start(Path data) throws Exception {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                    Main.class.getName(), "zk", "--port", "0", "--data", data.toString(), "--tick-time", "200ms"));
            pb.redirectErrorStream(true);
            return new ZkProcess(pb.start());
        }

        String awaitLine(java.util.function.Predicate<String> match, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                long left = deadline - System.nanoTime();
                String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
                if (line == null) {
                    throw new AssertionError("no matching line from stickyring zk within " + timeout + "; process alive: " + process.isAlive()
                            + "; output so far:\n" + String.join("\n", seen));
                }
                seen.add(line);
                if (match.test(line)) {
                    return line;
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }
}
