package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The root {@code ./stickyring} script in a scratch copy of the repository layout, with fake
 * {@code java} and {@code mvn} on a PATH that holds nothing else but basic tools: when it builds,
 * when it does not, and the message when Java or Maven is missing or too old.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LauncherScriptTest {

    private static final Path SCRIPT = Path.of("..", "stickyring").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    private Path repo;
    private Path bin;
    private Path jar;
    private Path calls;

    record Run(int code, String output) { }

    @BeforeEach
    void scratchRepository() throws IOException {
        repo = tmp.resolve("repo");
        bin = tmp.resolve("bin");
        calls = tmp.resolve("calls.log");
        Files.createDirectories(repo.resolve("dist/src/main/java"));
        Files.createDirectories(repo.resolve("dist/target"));
        Files.createDirectories(bin);
        Files.copy(SCRIPT, repo.resolve("stickyring"));
        Files.writeString(repo.resolve("pom.xml"), "<project/>");
        Files.writeString(repo.resolve("dist/pom.xml"), "<project/>");
        Files.writeString(repo.resolve("dist/src/main/java/A.java"), "class A {}");
        jar = repo.resolve("dist/target/stickyring.jar");
        // Only the basic tools the script uses (wrappers, not symlinks, so cleanup stays inside tmp).
        for (String tool : List.of("dirname", "sed", "head", "cut", "find", "touch", "rm")) {
            for (String dir : List.of("/usr/bin", "/bin")) {
                Path p = Path.of(dir, tool);
                if (Files.isExecutable(p)) {
                    script(tool, "exec " + p + " \"$@\"\n");
                    break;
                }
            }
        }
    }

    private void fakeJava(String version) throws IOException {
        script("java", "if [ \"$1\" = -version ]; then echo 'openjdk version \"" + version + "\" 2025-04-15' >&2; exit 0; fi\n"
                + "echo \"java $*\" >> " + calls + "\n");
    }

    /** A Maven that "builds" by writing the jar. */
    private void fakeMvn() throws IOException {
        script("mvn", "echo \"mvn $*\" >> " + calls + "\necho jar > " + jar + "\n");
    }

    private void script(String name, String body) throws IOException {
        Path p = bin.resolve(name);
        Files.writeString(p, "#!/bin/bash\n" + body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Run run(String... args) throws Exception {
        return run(Map.of(), args);
    }

    private Run run(Map<String, String> extraEnv, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("/bin/bash", repo.resolve("stickyring").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", bin.toString());
        env.putAll(extraEnv);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    private List<String> calls() throws IOException {
        return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    }

    @Test
    void buildsWhenTheJarIsMissingThenRunsItWithTheArguments() throws Exception {
        fakeJava("17.0.15");
        fakeMvn();
        Run r = run("demo", "--nodes", "2");
        assertThat(r.code).as(r.output).isZero();
        assertThat(r.output).contains("building the jar", "does not exist");
        assertThat(calls()).containsExactly("mvn -B -q -DskipTests package", "java -jar " + jar + " demo --nodes 2");
    }

    @Test
    void rebuildsOnlyWhenASourceOrPomIsNewerThanTheJar() throws Exception {
        fakeJava("21.0.1");
        fakeMvn();
        Files.writeString(jar, "jar");
        Instant now = Instant.now();
        for (Path p : List.of(repo.resolve("pom.xml"), repo.resolve("dist/pom.xml"), repo.resolve("dist/src/main/java/A.java"))) {
            Files.setLastModifiedTime(p, FileTime.from(now.minusSeconds(60)));
        }
        Files.setLastModifiedTime(jar, FileTime.from(now.minusSeconds(30)));
        assertThat(run("--help").code).isZero();
        assertThat(calls()).containsExactly("java -jar " + jar + " --help");

        Files.setLastModifiedTime(repo.resolve("dist/src/main/java/A.java"), FileTime.from(now));
        Run r = run("--help");
        assertThat(r.code).isZero();
        assertThat(r.output).contains("dist/src/main/java/A.java is newer than the jar");
        assertThat(calls()).containsExactly("java -jar " + jar + " --help", "mvn -B -q -DskipTests package", "java -jar " + jar + " --help");
    }

    /** The native-heap trim is in the LB flags exactly for the Javas that have the flag (an unknown -XX flag stops the JVM). */
    @ParameterizedTest
    @CsvSource({"17.0.15, true", "17.0.9, true", "17.0.8, false", "17, false",
        "19.0.2, false", "21, false", "21.0.1, true", "25.0.1, true", "25, true"})
    void theLbFlagsTrimTheNativeHeapOnJavasThatCanDoIt(String version, boolean trims) throws Exception {
        fakeJava(version);
        Run r = run("--print-lb-jvm-flags");
        assertThat(r.code).as(r.output).isZero();
        String base = "-XX:+UseParallelGC -Xms256m -Xmx1g -Xmn32m -Dio.netty.leakDetection.level=disabled";
        String trim = " -XX:+UnlockExperimentalVMOptions -XX:TrimNativeHeapInterval=10000";
        assertThat(r.output.strip()).isEqualTo(trims ? base + trim : base);
        // STICKYRING_LB_JAVA_OPTS replaces them all.
        assertThat(run(Map.of("STICKYRING_LB_JAVA_OPTS", "-Xmx2g"), "--print-lb-jvm-flags").output.strip()).isEqualTo("-Xmx2g");
    }

    /** The systemd unit sets the launcher's flags; it cannot check the version, so it lets a Java without the trim ignore it. */
    @Test
    void theLbUnitSetsTheLaunchersFlags() throws Exception {
        fakeJava("17.0.15");
        String launcher = run("--print-lb-jvm-flags").output.strip();
        assertThat(LbCdsScriptIT.LB_JAVA_OPTS.replace(" -XX:+IgnoreUnrecognizedVMOptions", "")).isEqualTo(launcher);
        assertThat(LbCdsScriptIT.LB_JAVA_OPTS).contains("-XX:+IgnoreUnrecognizedVMOptions -XX:+UnlockExperimentalVMOptions -XX:TrimNativeHeapInterval=");
    }

    @Test
    void missingJavaIsNamedWithWhatToInstall() throws Exception {
        Run r = run("demo");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.output).contains("Java 17 or newer is required but 'java' is not on PATH", "Install a JDK 17+");
    }

    @Test
    void tooOldJavaIsNamedWithItsVersion() throws Exception {
        fakeJava("11.0.22");
        Run r = run("demo");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.output).contains("Java 17 or newer is required", "version 11.0.22");
        fakeJava("1.8.0_392");
        assertThat(run("demo").output).contains("version 1.8.0_392");
    }

    @Test
    void missingMavenIsNamedWhenTheJarMustBeBuilt() throws Exception {
        fakeJava("17.0.15");
        Run r = run("demo");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.output).contains("does not exist and Maven (mvn) is not on PATH", "Install Maven");
        assertThat(calls()).isEmpty();
    }

    @Test
    void aFailedBuildStopsWithAClearMessage() throws Exception {
        fakeJava("17.0.15");
        script("mvn", "echo '[ERROR] compilation failure'; exit 1\n");
        Run r = run("demo");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.output).contains("[ERROR] compilation failure", "the build failed");
        assertThat(calls()).isEmpty();
    }

    /** A java that logs its calls, writes the CDS archive a training run names, and fails the training when told to. */
    private void fakeTrainingJava(boolean trainingFails) throws IOException {
        script("java", "if [ \"$1\" = -version ]; then echo 'openjdk version \"17.0.15\" 2025-04-15' >&2; exit 0; fi\n"
                + "echo \"java $*\" >> " + calls + "\n"
                + "for a in \"$@\"; do case \"$a\" in -XX:ArchiveClassesAtExit=*) echo archive > \"${a#*=}\";; esac; done\n"
                + (trainingFails ? "case \"$*\" in *LbTraining*) exit 1;; esac\n" : ""));
    }

    private void freshJar() throws IOException {
        Files.writeString(jar, "jar");
        Instant now = Instant.now();
        for (Path p : List.of(repo.resolve("pom.xml"), repo.resolve("dist/pom.xml"), repo.resolve("dist/src/main/java/A.java"))) {
            Files.setLastModifiedTime(p, FileTime.from(now.minusSeconds(60)));
        }
        Files.setLastModifiedTime(jar, FileTime.from(now.minusSeconds(30)));
    }

    @Test
    void lbStartsWithAClassDataSharingArchiveWrittenOncePerJar() throws Exception {
        fakeTrainingJava(false);
        freshJar();
        Path jsa = repo.resolve("dist/target/stickyring-lb-java17.0.15.jsa");
        Run r = run("lb", "--listen", "127.0.0.1:1");
        assertThat(r.code).as(r.output).isZero();
        assertThat(r.output).contains("writing the LB's class-data-sharing archive (stickyring-lb-java17.0.15.jsa)");
        assertThat(calls()).hasSize(2);
        assertThat(calls().get(0)).startsWith("java -XX:+UseParallelGC")
                .endsWith("-XX:ArchiveClassesAtExit=" + jsa + " -cp " + jar + " io.stickyring.lb.LbTraining");
        assertThat(calls().get(1)).startsWith("java -XX:+UseParallelGC")
                .endsWith("-XX:SharedArchiveFile=" + jsa + " -jar " + jar + " lb --listen 127.0.0.1:1");
        assertThat(jsa).exists();

        Run again = run("lb", "--listen", "127.0.0.1:1");
        assertThat(again.output).doesNotContain("writing");
        assertThat(calls()).hasSize(3);
        assertThat(calls().get(2)).contains("-XX:SharedArchiveFile=" + jsa + " -jar " + jar + " lb");

        // A new jar: the archive no longer matches its classes, so it is written again.
        Files.setLastModifiedTime(jsa, FileTime.from(Instant.now().minusSeconds(20)));
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(10)));
        assertThat(run("lb").output).contains("writing the LB's class-data-sharing archive");
        assertThat(calls()).hasSize(5);
        assertThat(calls().get(3)).contains("LbTraining");

        // Other commands neither train nor map the archive.
        run("node");
        assertThat(calls().get(5)).isEqualTo("java -jar " + jar + " node");
    }

    @Test
    void aFailedTrainingRunLeavesNoArchiveAndTheLbStartsWithoutOne() throws Exception {
        fakeTrainingJava(true);
        freshJar();
        Run r = run("lb");
        assertThat(r.code).as(r.output).isZero();
        assertThat(r.output).contains("the training run failed", "stickyring-lb-cds.log", "starting without the archive");
        assertThat(repo.resolve("dist/target/stickyring-lb-java17.0.15.jsa")).doesNotExist();
        assertThat(calls().get(1)).doesNotContain("SharedArchiveFile").endsWith("-jar " + jar + " lb");
    }

    @Test
    void noCdsTurnsTheArchiveOff() throws Exception {
        fakeTrainingJava(false);
        freshJar();
        Run r = run(Map.of("STICKYRING_NO_CDS", "1"), "lb");
        assertThat(r.code).as(r.output).isZero();
        assertThat(calls()).hasSize(1);
        assertThat(calls().get(0)).doesNotContain("SharedArchiveFile").doesNotContain("LbTraining");
    }
}
