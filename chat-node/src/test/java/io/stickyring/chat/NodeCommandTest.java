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

    /** A 40-byte secret in a file (secrets never come from argv). */
    private String secret() {
        try {
            Path f = dir.resolve("secret");
            Files.writeString(f, "0123456789abcdef0123456789abcdef-secret\n");
            return f.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private NodeCommand parse(String... args) {
        NodeCommand cmd = new NodeCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd;
    }

    static String run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new NodeCommand());
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(err));
        int code = cl.execute(args);
        return code + ":" + err;
    }

    @Test
    void flagsBecomeAValidatedConfig() throws Exception {
        NodeConfig c = parse("--listen", "127.0.0.1:9001", "--id", "n7", "--secret-file", secret(),
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
        NodeConfig c = parse("--listen", "127.0.0.1:9001", "--id", "n7", "--secret-file", secret(),
                "--zk", "127.0.0.1:2181/chroot", "--cluster", "chat", "--zk-session-timeout", "4s",
                "--zk-connection-timeout", "1500ms", "--zk-auth", "ops:pw").toConfig();
        assertThat(c.zkSettings().connectString()).isEqualTo("127.0.0.1:2181/chroot");
        assertThat(c.zkSettings().cluster()).isEqualTo("chat");
        assertThat(c.zkSettings().sessionTimeout()).isEqualTo(Duration.ofSeconds(4));
        assertThat(c.zkSettings().connectionTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.zkSettings().toString()).doesNotContain("pw");
        assertThat(run("--listen", "127.0.0.1:0", "--id", "n1", "--secret-file", secret(), "--zk", "127.0.0.1:2181",
                "--zk-session-timeout", "soon")).startsWith("2:").contains("soon");
        // Standalone: no ZooKeeper settings at all.
        assertThat(parse("--listen", "127.0.0.1:0", "--id", "n1", "--secret-file", secret()).toConfig().zkSettings()).isNull();
    }

    @Test
    void badValuesAreNamed() {
        assertThat(run("--listen", "nohost", "--id", "n1", "--secret-file", secret())).startsWith("2:").contains("nohost");
        assertThat(run("--listen", "127.0.0.1:99999", "--id", "n1", "--secret-file", secret())).contains("99999");
        Path shortSecret = dir.resolve("short");
        try {
            Files.writeString(shortSecret, "short\n");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(run("--listen", "127.0.0.1:0", "--id", "n1", "--secret-file", shortSecret.toString())).contains("(5 bytes)");
        assertThat(run("--listen", "127.0.0.1:0", "--id", "n1", "--secret-file", secret(), "--max-frame-bytes", "10"))
                .contains("max frame bytes (10)");
        assertThat(run("--listen", "127.0.0.1:0", "--id", "n1", "--secret-file", secret(), "--ping-interval", "soon"))
                .contains("'soon'");
        assertThat(run("--listen", "127.0.0.1:0", "--id", "bad id", "--secret-file", secret())).contains("bad id");
        assertThat(run("--help")).startsWith("0:").contains("--accept-proxy-protocol", "--store", "--zk");
    }

    @Test
    void roleDefaultsToAllAndSplitRolesNeedZooKeeperPostgresAndNats() throws Exception {
        String[] base = {"--listen", "127.0.0.1:0", "--id", "n1", "--secret-file", secret()};
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

    @Test
    void forwardWindowAndWriterProbeDelayHaveDefaultsAndBounds() throws Exception {
        String[] base = {"--listen", "127.0.0.1:0", "--id", "n1", "--secret-file", secret()};
        assertThat(parse(base).toConfig().forwardWindow()).isEqualTo(io.stickyring.chat.cluster.OwnerRoutedStore.DEFAULT_WINDOW).isEqualTo(4);
        assertThat(parse(concat(base, "--forward-window", "32")).toConfig().forwardWindow()).isEqualTo(32);
        assertThat(run(concat(base, "--forward-window", "0"))).startsWith("2:").contains("forward window (0) must be in [1, 1024]");
        assertThat(run(concat(base, "--forward-window", "1025"))).startsWith("2:").contains("forward window (1025)");
        assertThat(parse(base).toConfig().writerProbeDelay()).isEqualTo(java.time.Duration.ofMillis(250));
        assertThat(parse(concat(base, "--writer-probe-delay", "1s")).toConfig().writerProbeDelay()).isEqualTo(java.time.Duration.ofSeconds(1));
        assertThat(run(concat(base, "--writer-probe-delay", "5s"))).startsWith("2:")
                .contains("writer probe delay (5s) must be at least 10ms and below the forwarded-append timeout (5s)");
        assertThat(run(concat(base, "--writer-probe-delay", "1ms"))).startsWith("2:").contains("writer probe delay (1ms)");
        assertThat(run("--help")).contains("--forward-window");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void yamlConfigGivesDefaultsAndFlagsOverrideIt() throws Exception {
        Path yaml = dir.resolve("node.yaml");
        Files.writeString(yaml, "listen: 127.0.0.1:9100\nid: from-file\nmax-body-bytes: 500\nsecret-file: " + secret() + "\n");
        NodeCommand given = new NodeCommand();
        new CommandLine(given).parseArgs("--config", yaml.toString(), "--id", "from-flag");
        NodeConfig c = given.config.resolve(NodeCommand::new).toConfig();
        assertThat(c.nodeId()).isEqualTo("from-flag");
        assertThat(c.port()).isEqualTo(9100);
        assertThat(c.maxBodyBytes()).isEqualTo(500);

        Files.writeString(yaml, "listen: 127.0.0.1:9100\nid: x\nmax-bodyy-bytes: 5\n");
        assertThat(run("--config", yaml.toString(), "--id", "y")).contains("unknown key 'max-bodyy-bytes'").contains(yaml.toString());
        // The old camelCase keys are refused naming the new spelling.
        Files.writeString(yaml, "listen: 127.0.0.1:9100\nid: x\nmaxBodyBytes: 5\n");
        assertThat(run("--config", yaml.toString())).startsWith("2:").contains("key 'maxBodyBytes' is the old spelling; write max-body-bytes");
        // A duration in the file follows the one grammar and is named with the file.
        Files.writeString(yaml, "listen: 127.0.0.1:9100\nid: x\ndrain-period: 1500\n");
        assertThat(run("--config", yaml.toString())).startsWith("2:").contains(yaml.toString()).contains("'1500' needs a unit");
    }

    @Test
    void devLoginIsOffUnlessAskedFor() throws Exception {
        assertThat(parse("--listen", "127.0.0.1:0", "--id", "n1", "--secret-file", secret()).toConfig().devLogin()).isFalse();
        assertThat(parse("--listen", "127.0.0.1:0", "--id", "n1", "--secret-file", secret(), "--dev-login").toConfig().devLogin()).isTrue();
    }

    @Test
    void devLoginOnANonLoopbackAddressNeedsTheInsecureFlag() throws Exception {
        String refused = run("--listen", "0.0.0.0:0", "--id", "n1", "--secret-file", secret(), "--dev-login");
        assertThat(refused).startsWith("2:").contains("0.0.0.0").contains("--insecure-dev-login-on-public-address");
        assertThat(parse("--listen", "0.0.0.0:0", "--id", "n1", "--secret-file", secret(), "--dev-login",
                "--insecure-dev-login-on-public-address").toConfig().devLogin()).isTrue();
        // Loopback needs no flag, and a public address without dev login is the normal case.
        assertThat(parse("--listen", "127.0.0.2:0", "--id", "n1", "--secret-file", secret(), "--dev-login").toConfig().devLogin()).isTrue();
        assertThat(parse("--listen", "0.0.0.0:0", "--id", "n1", "--secret-file", secret()).toConfig().devLogin()).isFalse();
    }

    @Test
    void aSecretOnTheCommandLineIsRefusedNamingTheAlternatives() throws Exception {
        String out = run("--listen", "127.0.0.1:0", "--id", "n1", "--secret", "0123456789abcdef0123456789abcdef!");
        // One line naming the new options (picocli prints the usage after it).
        assertThat(out.lines().findFirst().orElseThrow()).startsWith("2:--secret is not accepted")
                .contains("--secret-file").contains("STICKYRING_SECRET");
    }

    @Test
    void aNodeWithoutAnyTokenKeyIsRefused() {
        assertThat(run("--listen", "127.0.0.1:0", "--id", "n1")).startsWith("2:")
                .contains("--secret-file").contains("--public-key").contains("--jwks");
    }

    @Test
    void aKeyFileThatDoesNotParseStopsTheNodeNamingTheFile() throws Exception {
        Path jwks = Files.writeString(dir.resolve("jwks.json"), "{\"keys\": 42}");
        assertThat(run("--listen", "127.0.0.1:0", "--id", "n1", "--jwks", jwks.toString()).lines().findFirst().orElseThrow())
                .startsWith("2:").contains(jwks.toString());
    }

    @Test
    void tokenAndAdminOptionsReachTheConfig() throws Exception {
        NodeConfig c = parse("--listen", "127.0.0.1:0", "--id", "n1", "--secret-file", secret(), "--token-audience", "chat",
                "--token-issuer", "https://auth.example", "--token-clock-skew", "10s", "--admin", "127.0.0.1:9309").toConfig();
        assertThat(c.tokenSettings().audience()).isEqualTo("chat");
        assertThat(c.tokenSettings().issuer()).isEqualTo("https://auth.example");
        assertThat(c.tokenSettings().clockSkew()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.adminPort()).isEqualTo(9309);
        NodeConfig d = parse("--listen", "127.0.0.1:0", "--id", "n1", "--secret-file", secret()).toConfig();
        assertThat(d.adminHost()).isEqualTo("127.0.0.1");
        assertThat(d.tokenSettings().clockSkew()).isEqualTo(Duration.ofSeconds(30));
        assertThat(run("--listen", "127.0.0.1:0", "--id", "n1", "--secret-file", secret(), "--token-clock-skew", "1h"))
                .contains("clock skew (PT1H)");
        assertThat(run("--listen", "127.0.0.1:0", "--id", "n1", "--secret-file", secret(), "--admin", "nowhere")).contains("--admin (nowhere)");
    }
}
