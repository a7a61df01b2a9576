package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code stickyring zk --server-id N --ensemble ...}: flags, the YAML keys, and the errors (no server started). */
class ZkEnsembleCommandTest {

    @TempDir
    Path dir;

    private static ZkCommand parse(String... args) {
        ZkCommand command = new ZkCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void noEnsembleFlagsMeansStandalone() {
        assertThat(parse("--port", "0").resolveEnsemble()).isNull();
    }

    @Test
    void flagsSelectThisServersEntry() {
        var e = parse("--server-id", "2", "--ensemble", "127.0.0.1:2888:3888:2181,127.0.0.2:2889:3889:2182,127.0.0.3:2890:3890:2183")
                .resolveEnsemble();
        assertThat(e.serverId()).isEqualTo(2);
        assertThat(e.self().host()).isEqualTo("127.0.0.2");
        assertThat(e.self().clientPort()).isEqualTo(2182);
        assertThat(e.connectString()).isEqualTo("127.0.0.1:2181,127.0.0.2:2182,127.0.0.3:2183");
    }

    @Test
    void yamlListOrStringAndFlagsOverrideIt() throws Exception {
        Path yaml = dir.resolve("zk.yaml");
        Files.writeString(yaml, "server-id: 3\nensemble:\n  - 127.0.0.1:1:2:3\n  - 127.0.0.1:4:5:6\n  - 127.0.0.1:7:8:9\ndata: /var/lib/zk\n");
        var fromFile = parse("--config", yaml.toString()).resolveEnsemble();
        assertThat(fromFile.serverId()).isEqualTo(3);
        assertThat(fromFile.self().clientPort()).isEqualTo(9);
        assertThat(parse("--config", yaml.toString(), "--server-id", "1").resolveEnsemble().self().clientPort()).isEqualTo(3);

        Files.writeString(yaml, "server-id: 1\nensemble: 127.0.0.1:1:2:3,127.0.0.1:4:5:6\n");
        assertThat(parse("--config", yaml.toString()).resolveEnsemble().servers()).hasSize(2);
    }

    @Test
    void badCombinationsAreNamed() {
        assertThatThrownBy(() -> parse("--server-id", "1").resolveEnsemble()).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--server-id and --ensemble go together (got --server-id 1 only)");
        assertThatThrownBy(() -> parse("--ensemble", "h:1:2:3").resolveEnsemble()).hasMessageContaining("got --ensemble only");
        assertThatThrownBy(() -> parse("--server-id", "1", "--ensemble", "h:1:2:3", "--port", "2181").resolveEnsemble())
                .hasMessageContaining("--host/--port cannot be combined with --ensemble");
        assertThatThrownBy(() -> parse("--server-id", "5", "--ensemble", "h:1:2:3,h:4:5:6,h:7:8:9").resolveEnsemble())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("server id (5) must be in 1..3");
        assertThatThrownBy(() -> parse("--server-id", "1", "--ensemble", "h:1:2").resolveEnsemble())
                .hasMessageContaining("ensemble server (h:1:2) must be host:peerPort:electionPort:clientPort");
    }
}
