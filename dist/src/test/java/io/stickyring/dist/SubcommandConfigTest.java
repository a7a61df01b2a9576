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
import org.junit.jupiter.params.provider.CsvSource;
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
        int code = Main.commandLine().setErr(new PrintWriter(err, true))
                .execute(command, "--config", yaml.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("no-such-flag-xyz").doesNotContain("Unmatched argument");
    }

    /** Every command of the launcher: its words, one old camelCase key, the flag-name key to write instead. */
    @ParameterizedTest
    @CsvSource({
            "demo, adminPort, admin-port",
            "lb, drainTimeout, drain-timeout",
            "node, drainPeriod, drain-period",
            "zk, tickTime, tick-time",
            "loadgen, groupSize, group-size",
            "token --user u, secretFile, secret-file",
            "sim run, keyMode, key-mode",
            "sim whatif, membersFile, members-file",
            "sim sweep, buildRepeats, build-repeats",
            "sim paper lamping2014, noSuchKey, ''",
    })
    void everyCommandReadsTheOneConfigFormat(String words, String oldKey, String newKey) throws Exception {
        Path yaml = dir.resolve("c.yaml");
        String[] command = words.split(" ");
        // An unknown key names the key and the file.
        Files.writeString(yaml, "no-such-flag-xyz: 1\n");
        Result r = run(yaml, command);
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("unknown key 'no-such-flag-xyz'", yaml.toString()).doesNotContain("Unmatched argument");
        // An old camelCase key names the new spelling.
        Files.writeString(yaml, oldKey + ": 1\n");
        r = run(yaml, command);
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains(newKey.isEmpty() ? "unknown key '" + oldKey + "'" : "key '" + oldKey + "' is the old spelling; write " + newKey);
        assertThat(r.err().lines().count()).as(r.err()).isLessThanOrEqualTo(2); // the line and the --help hint
    }

    @Test
    void demoReadsTheFileAndItsFlagsWin() throws Exception {
        Path yaml = dir.resolve("demo.yaml");
        Files.writeString(yaml, "nodes: 0\n");
        Result r = run(yaml, "demo");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("nodes (0) must be in 1..16");
        r = run(yaml, "demo", "--nodes", "99");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("nodes (99) must be in 1..16");
    }

    private record Result(int code, String err) {
    }

    private static Result run(Path yaml, String... command) {
        StringWriter err = new StringWriter();
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(command));
        args.add(command[0].equals("sim") ? 2 : 1, "--config");
        args.add(command[0].equals("sim") ? 3 : 2, yaml.toString());
        int code = Main.commandLine().setErr(new PrintWriter(err, true)).execute(args.toArray(String[]::new));
        return new Result(code, err.toString());
    }

    @Test
    void nodeFlagsAfterConfigStillOverrideTheFile() throws Exception {
        Path yaml = dir.resolve("node.yaml");
        Files.writeString(yaml, "listen: 127.0.0.1:1\nid: from-file\n");
        StringWriter err = new StringWriter();
        // A listen address that cannot be parsed on the command line must win over the file's valid one.
        int code = Main.commandLine().setErr(new PrintWriter(err, true))
                .execute("node", "--config", yaml.toString(), "--listen", "not-a-host-port");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("not-a-host-port").doesNotContain("Unmatched argument");
    }
}
