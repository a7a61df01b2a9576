package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * target/stickyring.deb as {@code package} builds it (jdeb): its control fields, its files and their
 * modes, the conffiles, the units (the same as deploy/systemd), the maintainer scripts run against
 * fake system tools (user created once, state directory owned by it, purge removes both), and
 * lintian with no tag and no override.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DebPackageIT {

    private static final Path DEB = Path.of(System.getProperty("stickyring.deb", "target/stickyring.deb"));

    @TempDir
    Path tmp;

    record Run(int code, String out) { }

    @BeforeEach
    void needsDpkgDeb() {
        assertThat(DEB).exists();
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/dpkg-deb")), "dpkg-deb is not installed: the .deb is not inspected");
    }

    private static Run run(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (env != null) {
            pb.environment().clear();
            pb.environment().putAll(env);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(150, TimeUnit.SECONDS)).as("%s finished", cmd).isTrue();
        return new Run(p.exitValue(), out);
    }

    private static String dpkgDeb(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("dpkg-deb"));
        cmd.addAll(List.of(args));
        Run r = run(cmd, null);
        assertThat(r.code()).as(r.out()).isZero();
        return r.out();
    }

    @Test
    void controlFieldsNameThePackageItsJavaAndAdduser() throws Exception {
        String info = dpkgDeb("-f", DEB.toString());
        assertThat(info).contains("Package: stickyring", "Version: 0.1.0~SNAPSHOT", "Architecture: all",
                "Depends: default-jre-headless (>= 2:1.17) | java17-runtime-headless, adduser");
        assertThat(dpkgDeb("-I", DEB.toString())).contains("postinst", "postrm", "conffiles");
    }

    @Test
    void filesAndModes() throws Exception {
        String contents = dpkgDeb("-c", DEB.toString());
        for (String line : List.of(
                "-rw-r--r-- root/root .* ./usr/share/stickyring/stickyring.jar",
                "-rwxr-xr-x root/root .* ./usr/bin/stickyring",
                "-rwxr-xr-x root/root .* ./usr/lib/stickyring/lb-cds",
                "-rw-r--r-- root/root .* ./lib/systemd/system/stickyring-lb@.service",
                "-rw-r--r-- root/root .* ./lib/systemd/system/stickyring-node@.service",
                "-rw-r--r-- root/root .* ./lib/systemd/system/stickyring-zk@.service",
                "-rw-r--r-- root/root .* ./etc/default/stickyring",
                "-rw-r--r-- root/root .* ./etc/stickyring/lb.yaml.example",
                "-rw-r--r-- root/root .* ./etc/stickyring/node.yaml.example",
                "-rw-r--r-- root/root .* ./etc/stickyring/zk.yaml.example",
                "-rw-r--r-- root/root .* ./usr/share/doc/stickyring/copyright",
                "-rw-r--r-- root/root .* ./usr/share/doc/stickyring/changelog.gz",
                "-rw-r--r-- root/root .* ./usr/share/man/man1/stickyring.1.gz",
                "-rw-r--r-- root/root .* ./usr/share/doc/stickyring/examples/stickyring-lb-nft.conf")) {
            assertThat(contents.lines()).as(line).anyMatch(l -> l.matches(line.replace(".*", " +\\d+ \\S+ \\S+")));
        }
        assertThat(contents).doesNotContain("./opt/", "./var/");

        Path data = tmp.resolve("data");
        dpkgDeb("-x", DEB.toString(), data.toString());
        for (Path unit : SystemdUnitsTest.units()) {
            assertThat(data.resolve("lib/systemd/system").resolve(unit.getFileName())).hasSameTextualContentAs(unit);
        }
        assertThat(Files.readString(data.resolve("usr/bin/stickyring"))).contains("-jar /usr/share/stickyring/stickyring.jar \"$@\"");
        assertThat(Files.size(data.resolve("usr/share/stickyring/stickyring.jar"))).isGreaterThan(1_000_000);
    }

    @Test
    void conffilesAreTheFilesUnderEtc() throws Exception {
        Path control = tmp.resolve("control");
        dpkgDeb("-e", DEB.toString(), control.toString());
        assertThat(Files.readAllLines(control.resolve("conffiles"))).containsExactlyInAnyOrder("/etc/default/stickyring",
                "/etc/stickyring/lb.yaml.example", "/etc/stickyring/node.yaml.example", "/etc/stickyring/zk.yaml.example");
    }

    /** The maintainer scripts against fakes of the tools they call, which log their arguments. */
    @Test
    void postinstCreatesTheUserOnceAndPurgeRemovesUserAndState() throws Exception {
        Path control = tmp.resolve("control");
        dpkgDeb("-e", DEB.toString(), control.toString());
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path log = tmp.resolve("calls.log");
        Path users = tmp.resolve("users");
        Files.writeString(users, "");
        // getent answers from the users file; adduser/addgroup append to it.
        fake(bin, "getent", "/bin/grep -qx \"$1:$2\" " + users + "\n");
        fake(bin, "addgroup", "echo \"addgroup $*\" >> " + log + "; echo \"group:stickyring\" >> " + users + "\n");
        fake(bin, "adduser", "echo \"adduser $*\" >> " + log + "; echo \"passwd:stickyring\" >> " + users + "\n");
        for (String tool : List.of("deluser", "delgroup", "mkdir", "chown", "chmod", "rm", "systemctl")) {
            fake(bin, tool, "echo \"" + tool + " $*\" >> " + log + "\n");
        }
        Map<String, String> env = Map.of("PATH", bin.toString());

        assertThat(run(List.of("/bin/sh", control.resolve("postinst").toString(), "configure"), env).code()).isZero();
        assertThat(Files.readAllLines(log)).containsExactly(
                "addgroup --system --quiet stickyring",
                "adduser --system --quiet --ingroup stickyring --home /var/lib/stickyring --no-create-home --shell /usr/sbin/nologin"
                        + " --gecos stickyring service stickyring",
                "mkdir -p /var/lib/stickyring",
                "chown stickyring:stickyring /var/lib/stickyring",
                "chmod 750 /var/lib/stickyring");

        Files.writeString(log, "");
        assertThat(run(List.of("/bin/sh", control.resolve("postinst").toString(), "configure"), env).code()).isZero();
        assertThat(Files.readAllLines(log)).as("an upgrade keeps the user").noneMatch(l -> l.startsWith("add"));

        Files.writeString(log, "");
        assertThat(run(List.of("/bin/sh", control.resolve("postrm").toString(), "remove"), env).code()).isZero();
        assertThat(Files.readAllLines(log)).as("remove keeps state and user").isEmpty();

        assertThat(run(List.of("/bin/sh", control.resolve("postrm").toString(), "purge"), env).code()).isZero();
        assertThat(Files.readAllLines(log)).containsExactly("rm -rf /var/lib/stickyring /var/cache/stickyring", "deluser --system --quiet stickyring",
                "delgroup --system --quiet stickyring");
    }

    private static void fake(Path bin, String name, String body) throws IOException {
        Path p = bin.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void lintianFindsNothingWithoutOverrides() throws Exception {
        Path lintian = Path.of("/usr/bin/lintian");
        assumeTrue(Files.isExecutable(lintian), "lintian is not installed (scripts/test-packages.txt lists it): the .deb is not linted");
        Run r = run(List.of(lintian.toString(), "--fail-on", "warning", "--no-tag-display-limit", DEB.toString()), null);
        List<String> tags = r.out().lines().filter(l -> l.matches("[EWIP]: .*")).toList();
        assertThat(tags).as(r.out()).isEmpty();
        assertThat(r.code()).as(r.out()).isZero();
        assertThat(r.out()).doesNotContain("override");
    }
}
