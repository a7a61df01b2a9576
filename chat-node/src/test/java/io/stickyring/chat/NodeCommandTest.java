package io.stickyring.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.chat.server.NodeConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** CLI parsing: flags, YAML config with flag override, errors naming the bad value. */
class NodeCommandTest {
    @TempDir
    Path dir;

    private NodeCommand parse(String... args) {
        NodeCommand cmd = new NodeCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd;
    }

    private static String run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new NodeCommand());
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(err));
        int code = cl.execute(args);
        return code + ":" + err;
    }

    @Test
    void flagsBecomeAValidatedConfig() throws Exception {
        NodeConfig c = parse("--listen", "127.0.0.1:9001", "--id", "n7", "--secret", "0123456789abcdef!",
                "--max-frame-bytes", "4096", "--max-body-bytes", "1000", "--ping-interval", "250ms", "--drain-period", "2s",
                "--commit-max-batch", "1", "--no-dev-login").toConfig();
        assertThat(c.port()).isEqualTo(9001);
        assertThat(c.store()).isEqualTo("sqlite:" + Path.of("data", "n7", "chat.db"));
        assertThat(c.maxFrameBytes()).isEqualTo(4096);
        assertThat(c.pingInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.drainPeriod()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.commitMaxBatch()).isEqualTo(1);
        assertThat(c.devLogin()).isFalse();
        assertThat(c.weight()).as("default weight keeps the ring small").isEqualTo(1);
    }

    @Test
    void zooKeeperTimeoutsAndAuthReachTheRegistrationSettings() throws Exception {
        NodeConfig c = parse("--listen", "127.0.0.1:9001", "--id", "n7", "--secret", "0123456789abcdef!",
                "--zk", "127.0.0.1:2181/chroot", "--cluster", "chat", "--zk-session-timeout", "4s",
                "--zk-connection-timeout", "1500ms", "--zk-auth", "ops:pw").toConfig();
        assertThat(c.zkSettings().connectString()).isEqualTo("127.0.0.1:2181/chroot");
        assertThat(c.zkSettings().cluster()).isEqualTo("chat");
        assertThat(c.zkSettings().sessionTimeout()).isEqualTo(Duration.ofSeconds(4));
        assertThat(c.zkSettings().connectionTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.zkSettings().toString()).doesNotContain("pw");
        assertThat(run("--listen", "127.0.0.1:0", "--id", "n1", "--secret", "0123456789abcdef!", "--zk", "127.0.0.1:2181",
                "--zk-session-timeout", "soon")).startsWith("2:").contains("soon");
        // Standalone: no ZooKeeper settings at all.
        assertThat(parse("--listen", "127.0.0.1:0", "--id", "n1", "--secret", "0123456789abcdef!").toConfig().zkSettings()).isNull();
    }

    @Test
    void badValuesAreNamed() {
        assertThat(run("--listen", "nohost", "--id", "n1", "--secret", "0123456789abcdef!")).startsWith("2:").contains("nohost");
        assertThat(run("--listen", "127.0.0.1:99999", "--id", "n1", "--secret", "0123456789abcdef!")).contains("99999");
        assertThat(run("--listen", "127.0.0.1:0", "--id", "n1", "--secret", "short")).contains("(5 bytes)");
        assertThat(run("--listen", "127.0.0.1:0", "--id", "n1", "--secret", "0123456789abcdef!", "--max-frame-bytes", "10"))
                .contains("max frame bytes (10)");
        assertThat(run("--listen", "127.0.0.1:0", "--id", "n1", "--secret", "0123456789abcdef!", "--ping-interval", "soon"))
                .contains("'soon'");
        assertThat(run("--listen", "127.0.0.1:0", "--id", "bad id", "--secret", "0123456789abcdef!")).contains("bad id");
        assertThat(run("--help")).startsWith("0:").contains("--accept-proxy-protocol", "--store", "--zk");
    }

    @Test
    void roleDefaultsToAllAndSplitRolesNeedZooKeeperPostgresAndNats() throws Exception {
        String[] base = {"--listen", "127.0.0.1:0", "--id", "n1", "--secret", "0123456789abcdef!"};
        assertThat(parse(base).toConfig().role()).isEqualTo(io.stickyring.chat.cluster.NodeRole.ALL);
        assertThat(parse(base).toConfig().routesAppends()).isFalse();
        assertThat(run(concat(base, "--role", "reader"))).startsWith("2:").contains("role (reader) must be all, edge or writer");
        assertThat(run(concat(base, "--role", "edge"))).startsWith("2:").contains("role (edge) needs --zk");
        assertThat(run(concat(base, "--role", "writer", "--zk", "127.0.0.1:2181", "--bus", "nats://127.0.0.1:4222")))
                .startsWith("2:").contains("role (writer) needs", "sqlite:");
        NodeConfig edge = parse(concat(base, "--role", "edge", "--zk", "127.0.0.1:2181", "--store",
                "postgresql://127.0.0.1:5432/test", "--bus", "nats://127.0.0.1:4222")).toConfig();
        assertThat(edge.role()).isEqualTo(io.stickyring.chat.cluster.NodeRole.EDGE);
        assertThat(edge.routesAppends()).isTrue();
        assertThat(run("--help")).contains("--role");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void yamlConfigGivesDefaultsAndFlagsOverrideIt() throws Exception {
        Path yaml = dir.resolve("node.yaml");
        Files.writeString(yaml, "listen: 127.0.0.1:9100\nid: from-file\nmax-body-bytes: 500\nsecret: 0123456789abcdef-file\n");
        NodeCommand cmd = new NodeCommand();
        CommandLine cl = new CommandLine(cmd);
        cl.setDefaultValueProvider(new YamlDefaults(yaml, cl.getCommandSpec()));
        cl.parseArgs("--id", "from-flag");
        NodeConfig c = cmd.toConfig();
        assertThat(c.nodeId()).isEqualTo("from-flag");
        assertThat(c.port()).isEqualTo(9100);
        assertThat(c.maxBodyBytes()).isEqualTo(500);

        Files.writeString(yaml, "listen: 127.0.0.1:9100\nid: x\nmax-bodyy-bytes: 5\n");
        assertThat(run("--config", yaml.toString(), "--id", "y")).contains("max-bodyy-bytes");
    }
}
