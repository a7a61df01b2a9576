package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code --config FILE} works for every subcommand when run through the one jar's {@link Main}
 * (the file is read, and the bad value in it is named), not only when a command runs on its own.
 */
@Timeout(30)
class SubcommandConfigTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"node", "loadgen", "lb"})
    void aBadValueInTheConfigFileIsNamedThroughTheLauncher(String command) throws Exception {
        Path yaml = dir.resolve(command + ".yaml");
        Files.writeString(yaml, "no-such-flag-xyz: 1\n");
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Main()).setErr(new PrintWriter(err, true))
                .execute(command, "--config", yaml.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("no-such-flag-xyz").doesNotContain("Unmatched argument");
    }

    @Test
    void nodeFlagsAfterConfigStillOverrideTheFile() throws Exception {
        Path yaml = dir.resolve("node.yaml");
        Files.writeString(yaml, "listen: 127.0.0.1:1\nid: from-file\n");
        StringWriter err = new StringWriter();
        // A listen address that cannot be parsed on the command line must win over the file's valid one.
        int code = new CommandLine(new Main()).setErr(new PrintWriter(err, true))
                .execute("node", "--config", yaml.toString(), "--listen", "not-a-host-port");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("not-a-host-port").doesNotContain("Unmatched argument");
    }
}
