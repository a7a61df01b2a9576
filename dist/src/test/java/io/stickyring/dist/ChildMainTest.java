package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each of {@link ChildMain}'s two "parent gone" signals on its own, with a real child JVM running
 * {@code stickyring zk}: EOF on stdin while the parent lives, and the parent PID exiting while stdin
 * stays open.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ChildMainTest {

    @TempDir
    Path dir;

    private Process child;
    private Process fakeParent;

    @AfterEach
    void kill() throws InterruptedException {
        for (Process p : new Process[] {child, fakeParent}) {
            if (p != null && p.isAlive()) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private Process startChild(long parentPid) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(List.of(java, "-Xmx128m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                ChildMain.class.getName(), "--parent-pid", Long.toString(parentPid),
                "zk", "--port", "0", "--data", dir.resolve("zk").toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
    }

    private void awaitServing() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            String log = Files.readString(dir.resolve("child.log"), StandardCharsets.UTF_8);
            assertThat(child.isAlive()).as("child alive while starting: %s", log).isTrue();
            return log.contains("connect=");
        });
    }

    @Test
    void stdinEofStopsTheChildWhileItsParentLives() throws Exception {
        child = startChild(ProcessHandle.current().pid());
        awaitServing();
        child.getOutputStream().close();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("child exited after stdin EOF").isTrue();
        assertThat(child.exitValue()).isEqualTo(ChildMain.PARENT_GONE_STATUS);
        assertThat(Files.readString(dir.resolve("child.log"))).contains("stdin closed (demo process gone); stopping");
    }

    @Test
    void parentExitStopsTheChildEvenWithStdinOpen() throws Exception {
        fakeParent = new ProcessBuilder("sleep", "600").start();
        child = startChild(fakeParent.pid());
        awaitServing();
        assertThat(child.isAlive()).isTrue();
        fakeParent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("child exited after its parent pid did").isTrue();
        assertThat(child.exitValue()).isEqualTo(ChildMain.PARENT_GONE_STATUS);
        assertThat(Files.readString(dir.resolve("child.log"))).contains("parent process " + fakeParent.pid() + " exited; stopping");
    }

    @Test
    void aParentThatIsAlreadyGoneStopsTheChildAtOnce() throws Exception {
        Process done = new ProcessBuilder("true").start();
        done.waitFor(10, TimeUnit.SECONDS);
        child = startChild(done.pid());
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).isEqualTo(ChildMain.PARENT_GONE_STATUS);
        assertThat(Files.readString(dir.resolve("child.log"))).contains("is not running; stopping");
    }
}
