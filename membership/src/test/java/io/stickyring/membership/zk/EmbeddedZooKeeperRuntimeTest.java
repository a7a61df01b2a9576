package io.stickyring.membership.zk;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded server must start on the module's runtime classpath alone: test-only jars (curator-test
 * brings Dropwizard metrics and snappy) must not be what makes it work, or the shipped jar breaks.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmbeddedZooKeeperRuntimeTest {

    @TempDir
    Path dir;

    @Test
    void startsWithOnlyRuntimeDependencies() throws Exception {
        Path runtime = Path.of("target", "runtime-classpath.txt");
        assertThat(runtime).as("written by maven-dependency-plugin in generate-test-resources").exists();
        String classpath = String.join(File.pathSeparator, Path.of("target", "classes").toAbsolutePath().toString(),
                Path.of("target", "test-classes").toAbsolutePath().toString(), Files.readString(runtime).trim());
        assertThat(classpath).doesNotContain("curator-test");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder(List.of(java, "-Xmx256m", "-cp", classpath, EmbeddedZooKeeperSmoke.class.getName(),
                dir.resolve("data").toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertThat(child.waitFor(45, TimeUnit.SECONDS)).as("child finished").isTrue();
            String output = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(child.exitValue()).as(output).isZero();
            assertThat(output).contains("connect=127.0.0.1:").doesNotContain("NoClassDefFoundError");
        } finally {
            child.destroyForcibly();
        }
    }
}
