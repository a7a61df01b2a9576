package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The systemd units in deploy/systemd (also shipped in the .deb): {@code systemd-analyze verify}
 * accepts them without a single warning (an unquoted {@code Environment=JAVA_OPTS=-Xms256m -Xmx1g}
 * once made systemd drop {@code -Xmx1g}), and each runs as the system user with a state directory
 * and the hardening options, with no capability unless a drop-in adds it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SystemdUnitsTest {

    static final Path UNITS = Path.of("..", "deploy", "systemd").toAbsolutePath().normalize();
    private static final Path ANALYZE = Path.of("/usr/bin/systemd-analyze");

    @TempDir
    Path tmp;

    static List<Path> units() throws IOException {
        try (Stream<Path> s = Files.list(UNITS)) {
            return s.filter(p -> p.toString().endsWith("@.service")).sorted().toList();
        }
    }

    @Test
    void systemdAnalyzeVerifiesEveryUnitWithoutAWarning() throws Exception {
        assumeTrue(Files.isExecutable(ANALYZE), ANALYZE + " is not installed (package systemd): units not verified");
        List<String> cmd = new ArrayList<>(List.of(ANALYZE.toString(), "verify", "--man=no"));
        for (Path unit : units()) {
            // A template is verified through an instance of it.
            Path instance = tmp.resolve(unit.getFileName().toString().replace("@.service", "@test.service"));
            Files.copy(unit, instance);
            cmd.add(instance.toString());
        }
        assertThat(cmd).hasSize(3 + 3);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("systemd-analyze verify output").isEmpty();
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void everyUnitRunsAsTheSystemUserWithStateDirectoryAndHardening() throws Exception {
        for (Path unit : units()) {
            List<String> lines = Files.readAllLines(unit).stream().map(String::trim).filter(l -> !l.startsWith("#")).toList();
            assertThat(lines).as(unit.toString()).contains("User=stickyring", "Group=stickyring", "StateDirectory=stickyring",
                    "WorkingDirectory=/var/lib/stickyring", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                    "PrivateTmp=yes", "CapabilityBoundingSet=");
            assertThat(lines).as(unit + ": capabilities only through a drop-in").noneMatch(l -> l.startsWith("AmbientCapabilities="));
            assertThat(lines).as(unit + ": the jar where the .deb installs it")
                    .anyMatch(l -> l.matches("ExecStart=/usr/bin/java \\$JAVA_OPTS (-XX:SharedArchiveFile=\\S+ )?-jar /usr/share/stickyring/stickyring\\.jar .+"));
            assertThat(lines).as(unit + ": JAVA_OPTS quoted").anyMatch(l -> l.matches("Environment=\"JAVA_OPTS=[^\"]+\""));
        }
    }

    @Test
    void theLbWritesItsClassDataArchiveBeforeStartAndMapsIt() throws Exception {
        List<String> lines = Files.readAllLines(UNITS.resolve("stickyring-lb@.service")).stream().map(String::trim).toList();
        // the archive lives in the unit's own writable cache directory (ProtectSystem=strict), is written
        // by the script the .deb installs (a failure must not stop the start: "-"), and is the one mapped
        assertThat(lines).contains("CacheDirectory=stickyring",
                "ExecStartPre=-/usr/lib/stickyring/lb-cds /var/cache/stickyring/lb.jsa");
        assertThat(lines).anyMatch(l -> l.startsWith("ExecStart=/usr/bin/java $JAVA_OPTS -XX:SharedArchiveFile=/var/cache/stickyring/lb.jsa -jar "));
    }

    @Test
    void theNftDropInAddsOnlyCapNetAdmin() throws Exception {
        List<String> lines = Files.readAllLines(UNITS.resolve("stickyring-lb-nft.conf")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        assertThat(lines).containsExactly("[Service]", "CapabilityBoundingSet=CAP_NET_ADMIN", "AmbientCapabilities=CAP_NET_ADMIN");
    }
}
