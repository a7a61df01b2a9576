package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every start-up failure an operator meets, run through the shaded jar as the launcher runs it: the
 * error is one line on stderr ({@code stickyring CMD: ...}) naming the flag and its value, exit 2
 * for bad input and 1 for the environment, and no stack trace ({@code --debug} brings it back).
 * A bad flag adds a one-line hint instead of the whole usage.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StartupErrorsIT {

    /** The node refuses --secret on the command line (visible in ps): a mode-600 file, as deployed. */
    private String secret;

    @TempDir
    Path tmp;

    /** A loopback port held open: "in use" for whoever binds it next. */
    private ServerSocket taken;
    /** A loopback port nothing listens on. */
    private int closedPort;

    record Run(int code, List<String> err, String out) {
        /** The lines the launcher itself wrote (log lines start with a time). */
        List<String> own() {
            return err.stream().filter(l -> l.startsWith("stickyring ") || l.startsWith("see '")).toList();
        }
    }

    @BeforeEach
    void ports() throws IOException {
        Path f = Files.writeString(tmp.resolve("secret"), "0123456789abcdef-0123456789abcdef-it\n");
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        secret = "--secret-file=" + f;
        taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
    }

    @AfterEach
    void release() throws IOException {
        taken.close();
    }

    private Run run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(RunningJar.javaJar());
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    private static Run exec(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).start();
        try {
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<String> errText = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            // A start-up error ends the process: one still running after 40 s accepted what it should refuse.
            boolean exited = p.waitFor(40, TimeUnit.SECONDS);
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            String err = errText.get(10, TimeUnit.SECONDS);
            assertThat(exited).as("exited by itself: %s; stderr: %s", cmd, err).isTrue();
            return new Run(p.exitValue(), err.isEmpty() ? List.of() : List.of(err.split("\n")), out.get(10, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** One launcher line (plus the --help hint for a bad flag) that names every {@code named}, no frames. */
    private static void oneLine(Run r, int code, String... named) {
        assertThat(r.err()).as("no stack trace").noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception:") && !l.startsWith("stickyring "));
        assertThat(r.own()).as("stderr: %s", r.err()).hasSizeBetween(1, 2);
        assertThat(r.own().get(0)).contains(named);
        assertThat(r.code()).as("exit code; stderr: %s", r.err()).isEqualTo(code);
    }

    @Test
    void lbListenAndAdminPortTakenAreTwoMessagesNamingFlagAndAddress() throws Exception {
        String busy = "127.0.0.1:" + taken.getLocalPort();
        Run listen = run("lb", "--listen", busy, "--admin", "127.0.0.1:0", "--backend", "n1=127.0.0.1:" + closedPort);
        oneLine(listen, 1, "--listen (" + busy + ")", "Address already in use");
        Run admin = run("lb", "--listen", "127.0.0.1:0", "--admin", busy, "--backend", "n1=127.0.0.1:" + closedPort);
        oneLine(admin, 1, "--admin (" + busy + ")", "Address already in use");
    }

    @Test
    void nodeEnvironmentFailuresNameTheFlagAndValue() throws Exception {
        String db = "sqlite:" + tmp.resolve("chat.db");
        String busy = "127.0.0.1:" + taken.getLocalPort();
        oneLine(run("node", "--listen", busy, "--id", "n1", "--store", db, secret), 1, "--listen (" + busy + ")", "Address already in use");

        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        String unwritable = file.resolve("sub/chat.db").toString();
        oneLine(run("node", "--listen", "127.0.0.1:0", "--id", "n1", "--store", "sqlite:" + unwritable, secret), 1, "--store", unwritable);

        oneLine(run("node", "--listen", "127.0.0.1:0", "--id", "n1", "--store", "postgresql://127.0.0.1:" + closedPort + "/test", secret),
                1, "--store", "127.0.0.1:" + closedPort);
    }

    @Test
    void nodeBadStoreAndBusAreBadInput() throws Exception {
        oneLine(run("node", "--listen", "127.0.0.1:0", "--id", "n1", "--store", "foo:bar", secret), 2, "--store", "foo:bar");
        oneLine(run("node", "--listen", "127.0.0.1:0", "--id", "n1", "--store", "sqlite:" + tmp.resolve("c.db"), "--bus", "foo://", secret),
                2, "--bus", "foo://");
    }

    @Test
    void aBadFlagIsOneLineAndAHintNotTheUsage() throws Exception {
        Run unknown = run("lb", "--no-such-flag");
        oneLine(unknown, 2, "stickyring lb:", "--no-such-flag");
        assertThat(unknown.err()).containsExactly(unknown.err().get(0), "see 'stickyring lb --help'");
        Run bad = run("node", "--listen", "127.0.0.1:0", "--id", "n1", "--weight", "heavy");
        oneLine(bad, 2, "--weight", "heavy");
        assertThat(bad.err()).hasSize(2).last().isEqualTo("see 'stickyring node --help'");
    }

    @Test
    void anUnreadableConfigFileHasOneWordingInEveryCommand() throws Exception {
        String missing = tmp.resolve("missing.yaml").toString();
        String expected = "--config (" + missing + "): cannot read: no such file";
        for (String[] cmd : List.of(new String[] {"lb"}, new String[] {"node"}, new String[] {"loadgen"}, new String[] {"zk"},
                new String[] {"sim", "run"})) {
            List<String> args = new ArrayList<>(List.of(cmd));
            args.addAll(List.of("--config", missing));
            Run r = run(args.toArray(String[]::new));
            oneLine(r, 2, expected);
        }
        Path broken = Files.writeString(tmp.resolve("broken.yaml"), "listen: [unclosed\n");
        Run r = run("node", "--config", broken.toString());
        oneLine(r, 2, "--config (" + broken + "): cannot read: ");
    }

    @Test
    void loadgenAgainstADeadUrlFailsAtOnceWithTheReason() throws Exception {
        String url = "http://127.0.0.1:" + closedPort;
        // --connect-timeout 60s: before, the users retried for all of it and ended "FAILED" with no reason
        Run r = run("loadgen", "--url", url, "--users", "2", "--duration", "2s", "--connect-timeout", "60s");
        oneLine(r, 1, "--url (" + url + ")", "Connection refused");
    }

    @Test
    void debugBringsBackTheStackTrace() throws Exception {
        Run r = run("--debug", "node", "--listen", "127.0.0.1:0", "--id", "n1", "--store", "foo:bar", secret);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).anyMatch(l -> l.startsWith("\tat "));
    }

    @Test
    void anUnresolvableBackendHostIsRefused() throws Exception {
        // The lookup must not leave the machine: run in a fresh network namespace (loopback only).
        assumeTrue("root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/unshare")),
                "needs root and unshare(1) to resolve in an empty network namespace");
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/unshare", "--net"));
        cmd.addAll(RunningJar.javaJar());
        cmd.addAll(List.of("lb", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--backend", "n1=nosuchhost.invalid:21001"));
        oneLine(exec(cmd), 2, "n1=nosuchhost.invalid:21001", "does not resolve");
    }

    @Test
    void anUnreachableZooKeeperIsOneLineNamingTheAddressNotATracePerRetry() throws Exception {
        String zk = "127.0.0.1:" + closedPort;
        List<String> err;
        try (RunningJar lb = RunningJar.start(List.of("lb", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--zk", zk,
                "--zk-connection-timeout", "1s"))) {
            // The LB waits 10 s for a first view before it binds anyway: the old client logged a
            // ConnectException trace every ~1 s of that wait.
            lb.awaitStdoutLine("stickyring lb: proxy on");
            err = lb.err();
        }
        assertThat(err).noneMatch(l -> l.startsWith("\tat ") || l.contains("ConnectException"));
        assertThat(err.stream().filter(l -> l.contains("ZooKeeper " + zk + " unreachable")).count()).as("stderr: %s", err).isEqualTo(1);
    }

    @Test
    void aNodeWhoseZooKeeperIsUnreachableSaysSoInOneLineAfterTheSessionTimeout() throws Exception {
        // It used to retry for ~47 s and print Curator's session warnings and a ConnectionLossException.
        // A bound socket that never answers: unlike a closed port, no other process can take it meanwhile.
        String zk = "127.0.0.1:" + taken.getLocalPort();
        Run r = run("node", "--listen", "127.0.0.1:0", "--id", "n1", "--store", "sqlite:" + tmp.resolve("z.db"), secret,
                "--zk", zk, "--zk-session-timeout", "2s", "--zk-connection-timeout", "1s");
        oneLine(r, 1, "--zk (" + zk + ")", "ZooKeeper " + zk + " unreachable");
        // Besides it: at most the connection log's own "unreachable" line and "stopped"; nothing from Curator.
        assertThat(r.err()).as("no Curator warnings").noneMatch(l -> l.contains("o.a.curator") || l.contains("org.apache.curator")
                || l.contains("ConnectionLoss") || l.contains("Session"));
        assertThat(r.err()).as("stderr").hasSizeLessThanOrEqualTo(3);
    }
}
