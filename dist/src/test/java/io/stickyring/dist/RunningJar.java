package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The shaded jar (target/stickyring.jar, as after {@code package}) running as a process: stderr
 * collected line by line on a thread, stdout read on demand. {@link #close} stops it with SIGTERM
 * (then SIGKILL) and waits for the stderr reader, so {@link #err} is complete afterwards.
 */
final class RunningJar implements AutoCloseable {

    private final Process process;
    private final BufferedReader out;
    private final List<String> err = new CopyOnWriteArrayList<>();
    private final Thread reader;

    /** {@code java -Xmx128m -jar stickyring.jar}, to which the arguments are appended. */
    static List<String> javaJar() {
        Path jar = Path.of(System.getProperty("stickyring.jar", "target/stickyring.jar"));
        assertThat(jar).exists();
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m", "-jar", jar.toString());
    }

    static RunningJar start(List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(javaJar());
        cmd.addAll(args);
        return new RunningJar(new ProcessBuilder(cmd).start());
    }

    private RunningJar(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    err.add(l);
                }
            } catch (IOException e) {
                // process gone
            }
        }, "jar-stderr");
        reader.start();
    }

    /** Reads stdout up to the first line starting with {@code prefix}; fails (naming stderr) if the process ends first. */
    String awaitStdoutLine(String prefix) throws IOException {
        String line;
        do {
            line = out.readLine();
        } while (line != null && !line.startsWith(prefix));
        assertThat(line).as("stdout line '%s...'; stderr: %s", prefix, err).isNotNull();
        return line;
    }

    List<String> err() {
        return err;
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        process.waitFor(30, TimeUnit.SECONDS);
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        reader.join(10_000);
        out.close();
    }
}
