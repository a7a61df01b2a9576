package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The .deb's {@code lb-cds} (run by stickyring-lb@.service before every start): it writes a
 * class-data-sharing archive the LB then maps, leaves a current one alone, rewrites one made for
 * another jar, and never fails the start when the training run fails.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LbCdsScriptIT {

    private static final Path SCRIPT = Path.of("src/deb/data/lb-cds").toAbsolutePath();
    private static final Path JAR = Path.of("target/stickyring.jar").toAbsolutePath();
    /** The LB unit's JAVA_OPTS, read from deploy/systemd/stickyring-lb@.service: the archive is made with the flags it is used with. */
    static final String LB_JAVA_OPTS = unitJavaOpts();

    private static String unitJavaOpts() {
        try {
            return Files.readAllLines(SystemdUnitsTest.UNITS.resolve("stickyring-lb@.service")).stream()
                    .filter(l -> l.startsWith("Environment=\"JAVA_OPTS=")).findFirst()
                    .map(l -> l.substring("Environment=\"JAVA_OPTS=".length(), l.length() - 1))
                    .orElseThrow(() -> new IllegalStateException("no JAVA_OPTS in the LB unit"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @TempDir
    Path tmp;

    record Run(int code, String out) {
    }

    private static Run run(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(150, TimeUnit.SECONDS)).as("finished: " + cmd).isTrue();
        return new Run(p.exitValue(), out);
    }

    private Run cds(Path archive, Path jar, String java) throws Exception {
        return run(List.of("/bin/sh", SCRIPT.toString(), archive.toString()),
                Map.of("STICKYRING_JAR", jar.toString(), "JAVA", java, "JAVA_OPTS", LB_JAVA_OPTS));
    }

    @Test
    void writesAnArchiveTheLbMapsThenLeavesItAlone() throws Exception {
        Path archive = tmp.resolve("lb.jsa");
        Run first = cds(archive, JAR, "java");
        assertThat(first.code()).as(first.out()).isZero();
        assertThat(first.out()).contains("writing the LB's class-data-sharing archive");
        assertThat(archive).isNotEmptyFile();
        assertThat(tmp.resolve("lb.jsa.stamp")).content().startsWith("jar " + Files.size(JAR) + " ");
        FileTime written = Files.getLastModifiedTime(archive);

        // The LB started the unit's way maps stickyring's classes from it (-Xshare:on fails if it cannot).
        List<String> lb = new ArrayList<>(List.of("java"));
        lb.addAll(List.of(LB_JAVA_OPTS.split(" ")));
        lb.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:on", "-Xlog:class+load=info", "-jar", JAR.toString(), "lb", "--help"));
        Run mapped = run(lb, Map.of());
        assertThat(mapped.code()).as(mapped.out()).isZero();
        assertThat(mapped.out().lines()).anyMatch(l -> l.contains("io.stickyring.") && l.contains("source: shared objects file (top)"));

        Run again = cds(archive, JAR, "java");
        assertThat(again.code()).isZero();
        assertThat(again.out()).as("a current archive is left alone").isEmpty();
        assertThat(Files.getLastModifiedTime(archive)).isEqualTo(written);
    }

    /** The unit's flags on this machine's Java (17.0.9+): the native heap is trimmed every 10 s, not silently ignored. */
    @Test
    void theUnitsFlagsTrimTheNativeHeapOnThisJava() throws Exception {
        List<String> cmd = new ArrayList<>(List.of("java"));
        cmd.addAll(List.of(LB_JAVA_OPTS.split(" ")));
        cmd.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
        Run r = run(cmd, Map.of());
        assertThat(r.code()).as(r.out()).isZero();
        assertThat(r.out().lines()).anyMatch(l -> l.matches(".*\\bTrimNativeHeapInterval\\s+= 10000\\s.*command line.*"));
    }

    /** A fake java that writes the archive it is asked for and logs each call. */
    private Path fakeJava(boolean fails) throws IOException {
        Path java = tmp.resolve("fake-java");
        Files.writeString(java, "#!/bin/sh\necho \"$*\" >> " + tmp.resolve("java.log") + "\n"
                + (fails ? "exit 1\n" : "for a in \"$@\"; do case \"$a\" in -XX:ArchiveClassesAtExit=*) echo archive > \"${a#*=}\";; esac; done\n"));
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return java;
    }

    @Test
    void aNewJarGetsANewArchive() throws Exception {
        Path jar = Files.writeString(tmp.resolve("stickyring.jar"), "version 1");
        Path archive = tmp.resolve("lb.jsa");
        Path java = fakeJava(false);
        assertThat(cds(archive, jar, java.toString()).code()).isZero();
        assertThat(cds(archive, jar, java.toString()).out()).isEmpty();
        assertThat(Files.readAllLines(tmp.resolve("java.log"))).hasSize(1)
                .allMatch(l -> l.equals(LB_JAVA_OPTS + " -XX:ArchiveClassesAtExit=" + archive + ".tmp -cp " + jar + " io.stickyring.lb.LbTraining"));

        Files.writeString(jar, "version 2, an upgrade");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 10_000));
        Run upgraded = cds(archive, jar, java.toString());
        assertThat(upgraded.out()).contains("writing the LB's class-data-sharing archive");
        assertThat(Files.readAllLines(tmp.resolve("java.log"))).hasSize(2);
        assertThat(archive).isNotEmptyFile();
        assertThat(tmp.resolve("lb.jsa.tmp")).doesNotExist();
    }

    @Test
    void aFailedTrainingLeavesNoArchiveAndDoesNotStopTheStart() throws Exception {
        Path jar = Files.writeString(tmp.resolve("stickyring.jar"), "a jar");
        Path archive = tmp.resolve("lb.jsa");
        Files.writeString(archive, "an archive of an older jar");
        Run r = cds(archive, jar, fakeJava(true).toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("the training run failed", archive + ".log", "starts without the archive");
        assertThat(archive).doesNotExist();
        assertThat(tmp.resolve("lb.jsa.tmp")).doesNotExist();
        assertThat(tmp.resolve("lb.jsa.stamp")).doesNotExist();
    }
}
