package io.stickyring.lb.support;

import io.stickyring.membership.Member;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** An echo member running in a child JVM, so a test can kill -9 a real process. */
public final class ChildMember implements AutoCloseable {

    private final String id;
    private final Process process;
    private final int port;

    public ChildMember(String id) throws IOException {
        this.id = id;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        process = new ProcessBuilder(List.of(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), EchoMain.class.getName(), id))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        if (line == null || !line.startsWith("PORT ")) {
            process.destroyForcibly();
            throw new IOException("child member " + id + " did not start: " + line);
        }
        port = Integer.parseInt(line.substring(5).trim());
    }

    public Member member() {
        return Member.of(id, "127.0.0.1", port);
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL (kill -9): the kernel closes the process's sockets, nothing runs in the child. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        kill9();
    }
}
