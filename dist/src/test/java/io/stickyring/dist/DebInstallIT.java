package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real {@code dpkg -i} of target/stickyring.deb on this machine, then {@code dpkg -r} and
 * {@code dpkg -P}: the files, the system user and group, the state directory and its owner, the
 * units, the installed launcher run as root and as the service user, the LB unit's class-data archive
 * written by the installed lb-cds as the service user and mapped by the installed jar, what remove keeps (conffiles,
 * state, user) and that purge leaves the machine exactly as it found it (the same users, groups and
 * paths). Needs root and dpkg; skipped on a machine where stickyring is already installed or its
 * user or paths already exist (the test never touches an install it did not make). Concurrent runs
 * on one machine (other worktrees) are serialized by a file lock, and dpkg's own lock, held by
 * another session's apt-get, is waited for.
 */
@Timeout(value = 900, unit = TimeUnit.SECONDS)
class DebInstallIT {

    private static final Path DEB = Path.of(System.getProperty("stickyring.deb", "target/stickyring.deb")).toAbsolutePath();
    private static final Duration DPKG_LOCK_WAIT = Duration.ofMinutes(10);
    private static final List<Path> PATHS = List.of(Path.of("/usr/bin/stickyring"), Path.of("/usr/share/stickyring"),
            Path.of("/etc/stickyring"), Path.of("/etc/default/stickyring"), Path.of("/var/lib/stickyring"),
            Path.of("/usr/share/doc/stickyring"), Path.of("/lib/systemd/system/stickyring-lb@.service"),
            Path.of("/lib/systemd/system/stickyring-node@.service"), Path.of("/lib/systemd/system/stickyring-zk@.service"),
            Path.of("/usr/share/man/man1/stickyring.1.gz"), Path.of("/usr/lib/stickyring"), Path.of("/var/cache/stickyring"));

    record Run(int code, String out) { }

    private static Run run(List<String> cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("deb-install", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(cmd + " did not finish within 300 s");
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** dpkg with its lock waited for: another session's apt-get may hold it for minutes. */
    private static Run dpkg(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("dpkg"));
        cmd.addAll(List.of(args));
        AtomicReference<Run> last = new AtomicReference<>();
        await().atMost(DPKG_LOCK_WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    Run r = run(cmd);
                    last.set(r);
                    return !(r.code() == 2 && r.out().contains("lock") && r.out().contains("another process"));
                });
        return last.get();
    }

    private static boolean installed() throws Exception {
        Run r = run(List.of("dpkg-query", "-W", "-f=${Status}", "stickyring"));
        return r.code() == 0 && !r.out().contains("not-installed");
    }

    private static String status() throws Exception {
        Run r = run(List.of("dpkg-query", "-W", "-f=${Status}", "stickyring"));
        return r.code() == 0 ? r.out().trim() : "unknown";
    }

    private static String getent(String db, String key) throws Exception {
        Run r = run(List.of("getent", db, key));
        return r.code() == 0 ? r.out().trim() : null;
    }

    /** What the test may change: the package's paths (with owner and mode), users and groups. */
    private static TreeMap<String, String> machine() throws Exception {
        TreeMap<String, String> m = new TreeMap<>();
        for (Path p : PATHS) {
            m.put(p.toString(), Files.exists(p, LinkOption.NOFOLLOW_LINKS) ? describe(p) : "absent");
        }
        m.put("passwd", String.join("\n", Files.readAllLines(Path.of("/etc/passwd"))));
        m.put("group", String.join("\n", Files.readAllLines(Path.of("/etc/group"))));
        m.put("dpkg-status", status());
        return m;
    }

    private static String describe(Path p) throws IOException {
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        return a.owner().getName() + ":" + a.group().getName() + " " + PosixFilePermissions.toString(a.permissions());
    }

    @Test
    void installRunRemovePurgeLeavesTheMachineAsItWas() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/dpkg")), "no dpkg: the package is not installed");
        assumeTrue("0".equals(run(List.of("id", "-u")).out().trim()), "not root: the package is not installed");
        assertThat(DEB).exists();
        Path lockFile = Path.of(System.getProperty("java.io.tmpdir"), "stickyring-deb-install-test.lock");
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            assumeTrue(!installed(), "stickyring is installed on this machine (" + status() + "): left alone");
            assumeTrue(getent("passwd", "stickyring") == null && getent("group", "stickyring") == null,
                    "a stickyring user or group exists on this machine: left alone");
            for (Path p : PATHS) {
                assumeTrue(!Files.exists(p, LinkOption.NOFOLLOW_LINKS), p + " exists on this machine: left alone");
            }
            TreeMap<String, String> before = machine();
            try {
                installRemovePurge();
            } finally {
                if (installed()) {
                    dpkg("--purge", "stickyring");
                }
            }
            assertThat(machine()).as("the machine after purge").isEqualTo(before);
        }
    }

    private void installRemovePurge() throws Exception {
        Run install = dpkg("--install", DEB.toString());
        assertThat(install.code()).as(install.out()).isZero();
        assertThat(status()).isEqualTo("install ok installed");

        // the files and the state directory
        assertThat(describe(Path.of("/usr/bin/stickyring"))).isEqualTo("root:root rwxr-xr-x");
        assertThat(Files.size(Path.of("/usr/share/stickyring/stickyring.jar"))).isGreaterThan(1_000_000);
        for (String kind : List.of("lb", "node", "zk")) {
            assertThat(Path.of("/lib/systemd/system/stickyring-" + kind + "@.service")).isRegularFile();
            assertThat(Path.of("/etc/stickyring/" + kind + ".yaml.example")).isRegularFile();
        }
        assertThat(Files.readString(Path.of("/lib/systemd/system/stickyring-node@.service")))
                .contains("User=stickyring", "StateDirectory=stickyring", "EnvironmentFile=-/etc/default/stickyring");
        assertThat(describe(Path.of("/var/lib/stickyring"))).isEqualTo("stickyring:stickyring rwxr-x---");

        // the system user: no login, home = the state directory, a system uid
        String[] user = getent("passwd", "stickyring").split(":");
        assertThat(user[5]).isEqualTo("/var/lib/stickyring");
        assertThat(user[6]).isEqualTo("/usr/sbin/nologin");
        assertThat(Integer.parseInt(user[2])).isLessThan(1000);
        assertThat(getent("group", "stickyring")).isNotNull();

        // the installed launcher, as root and as the service user
        Run version = run(List.of("/usr/bin/stickyring", "--version"));
        assertThat(version.code()).as(version.out()).isZero();
        assertThat(version.out()).startsWith("stickyring ");
        Run help = run(List.of("/usr/bin/stickyring", "--help"));
        assertThat(help.code()).as(help.out()).isZero();
        assertThat(help.out()).contains("Usage: stickyring", "lb", "node");
        if (Files.isExecutable(Path.of("/usr/sbin/runuser"))) {
            Run asUser = run(List.of("/usr/sbin/runuser", "-u", "stickyring", "--", "/usr/bin/stickyring", "lb", "--help"));
            assertThat(asUser.code()).as(asUser.out()).isZero();
            assertThat(asUser.out()).contains("--listen");
        }

        // the LB unit's ExecStartPre as systemd runs it: the service user, its CacheDirectory, the unit's JAVA_OPTS;
        // the archive it writes is then mapped by the installed jar (-Xshare:on fails when it cannot be)
        if (Files.isExecutable(Path.of("/usr/sbin/runuser"))) {
            assertThat(describe(Path.of("/usr/lib/stickyring/lb-cds"))).isEqualTo("root:root rwxr-xr-x");
            Files.createDirectories(Path.of("/var/cache/stickyring"));
            assertThat(run(List.of("chown", "stickyring:stickyring", "/var/cache/stickyring")).code()).isZero();
            String javaOpts = LbCdsScriptIT.LB_JAVA_OPTS;
            Run cds = run(List.of("/usr/sbin/runuser", "-u", "stickyring", "--", "env", "JAVA_OPTS=" + javaOpts,
                    "/usr/lib/stickyring/lb-cds", "/var/cache/stickyring/lb.jsa"));
            assertThat(cds.code()).as(cds.out()).isZero();
            assertThat(Path.of("/var/cache/stickyring/lb.jsa")).isNotEmptyFile();
            List<String> lb = new ArrayList<>(List.of("/usr/sbin/runuser", "-u", "stickyring", "--", "java"));
            lb.addAll(List.of(javaOpts.split(" ")));
            lb.addAll(List.of("-XX:SharedArchiveFile=/var/cache/stickyring/lb.jsa", "-Xshare:on", "-jar",
                    "/usr/share/stickyring/stickyring.jar", "lb", "--help"));
            Run mapped = run(lb);
            assertThat(mapped.code()).as(mapped.out()).isZero();
            assertThat(mapped.out()).contains("--listen");
        }

        // remove: program gone; conffiles, state and user kept
        Files.writeString(Path.of("/var/lib/stickyring/state-marker"), "kept by remove");
        Run remove = dpkg("--remove", "stickyring");
        assertThat(remove.code()).as(remove.out()).isZero();
        assertThat(status()).isEqualTo("deinstall ok config-files");
        assertThat(Path.of("/usr/bin/stickyring")).doesNotExist();
        assertThat(Path.of("/usr/share/stickyring")).doesNotExist();
        assertThat(Path.of("/lib/systemd/system/stickyring-lb@.service")).doesNotExist();
        assertThat(Path.of("/etc/stickyring/lb.yaml.example")).isRegularFile();
        assertThat(Path.of("/etc/default/stickyring")).isRegularFile();
        assertThat(Path.of("/var/lib/stickyring/state-marker")).isRegularFile();
        assertThat(getent("passwd", "stickyring")).isNotNull();

        // purge: conffiles, state, user and group gone
        Run purge = dpkg("--purge", "stickyring");
        assertThat(purge.code()).as(purge.out()).isZero();
        assertThat(installed()).isFalse();
        assertThat(Path.of("/etc/stickyring")).doesNotExist();
        assertThat(Path.of("/etc/default/stickyring")).doesNotExist();
        assertThat(Path.of("/var/lib/stickyring")).doesNotExist();
        assertThat(Path.of("/var/cache/stickyring")).doesNotExist();
        assertThat(getent("passwd", "stickyring")).isNull();
        assertThat(getent("group", "stickyring")).isNull();
    }
}
