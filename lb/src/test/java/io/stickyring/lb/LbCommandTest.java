package io.stickyring.lb;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.config.ProxyProtocolMode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LbCommandTest {

    @TempDir
    Path dir;

    private static LbConfig parse(String... args) {
        LbCommand cmd = new LbCommand();
        CommandLine cl = new CommandLine(cmd);
        cl.parseArgs(args);
        return cmd.resolve().toConfig();
    }

    /** Runs the command the way the launcher does and returns the exit code and stderr. */
    private static String[] run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new LbCommand());
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new String[] {String.valueOf(code), err.toString()};
    }

    /** Issue 14: {@code --proxy-engine direct} parses; a bad value and an unsupported combination fail in one line. */
    @Test
    void proxyEngineFlag() {
        assertThat(parse("--backend", "a=127.0.0.1:9001").proxyEngine()).isEqualTo(io.stickyring.lb.config.ProxyEngine.AUTO);
        assertThat(parse("--backend", "a=127.0.0.1:9001", "--proxy-engine", "channels").proxyEngine())
                .isEqualTo(io.stickyring.lb.config.ProxyEngine.CHANNELS);
        assertThat(parse("--backend", "a=127.0.0.1:9001", "--proxy-engine", "direct").proxyEngine())
                .isEqualTo(io.stickyring.lb.config.ProxyEngine.DIRECT);
        String[] bad = run("--backend", "a=127.0.0.1:9001", "--proxy-engine", "fast");
        assertThat(bad[0]).isNotEqualTo("0");
        assertThat(bad[1]).contains("proxy-engine 'fast' is not one of auto, channels, direct");
        String[] combo = run("--backend", "a=127.0.0.1:9001", "--proxy-engine", "direct", "--accept-threads", "2");
        assertThat(combo[0]).isNotEqualTo("0");
        assertThat(combo[1]).contains("proxy-engine direct does not support --accept-threads 2 (yet)");
    }

    /** Issue 16: {@code lb --algorithm multiprobe|dxhash} parse; jump is still refused with the list. */
    @Test
    void newAlgorithmsParseFromTheCommandLine() {
        assertThat(parse("--backend", "a=127.0.0.1:9001", "--algorithm", "multiprobe").algorithm()).isEqualTo("multiprobe");
        assertThat(parse("--backend", "a=127.0.0.1:9001", "--algorithm", "DxHash").algorithm()).isEqualTo("dxhash");
        assertThat(run("--backend", "a=127.0.0.1:9001", "--algorithm", "jump")[1])
                .contains("algorithm (jump) must be one of ring, maglev, rendezvous, multiprobe, dxhash");
    }

    @Test
    void flagsBuildTheConfig() {
        LbConfig c = parse("--listen", "127.0.0.1:0", "--backend", "a=127.0.0.1:9001", "--backend", "b=127.0.0.1:9002/2",
                "--algorithm", "maglev", "--proxy-protocol", "v2", "--connect-timeout", "500ms", "--accept-proxy-protocol",
                "--key-mode", "prefix");
        assertThat(c.backends()).extracting(m -> m.id() + "/" + m.weight()).containsExactly("a/1", "b/2");
        assertThat(c.algorithm()).isEqualTo("maglev");
        assertThat(c.proxyProtocol()).isEqualTo(ProxyProtocolMode.V2);
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.acceptProxyProtocol()).isTrue();
        assertThat(c.keyMode().cliName()).isEqualTo("prefix");
    }

    @Test
    void yamlFileIsUnderneathAndFlagsOverrideIt() throws Exception {
        Path f = dir.resolve("lb.yaml");
        Files.writeString(f, """
                listen: 127.0.0.1:7000
                algorithm: rendezvous
                connect-tries: 5
                backend:
                  - a=127.0.0.1:9001
                  - b=127.0.0.1:9002
                keep-connections-on-down: true
                """);
        LbConfig fromFile = parse("--config", f.toString());
        assertThat(fromFile.listen().port()).isEqualTo(7000);
        assertThat(fromFile.algorithm()).isEqualTo("rendezvous");
        assertThat(fromFile.connectTries()).isEqualTo(5);
        assertThat(fromFile.backends()).hasSize(2);
        assertThat(fromFile.keepConnectionsOnDown()).isTrue();

        LbConfig overridden = parse("--config", f.toString(), "--connect-tries", "2", "--backend", "z=127.0.0.1:9009");
        assertThat(overridden.connectTries()).isEqualTo(2);
        assertThat(overridden.algorithm()).isEqualTo("rendezvous");
        assertThat(overridden.backends()).extracting(m -> m.id()).containsExactly("z");
    }

    @Test
    void badConfigIsRefusedNamingKeyAndValue() throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "listen: 127.0.0.1:7000\nbogus-key: 1\nbackend: [a=127.0.0.1:1]\n");
        String[] r = run("--config", f.toString());
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[1]).contains("unknown key 'bogus-key'").contains(f.toString());

        Files.writeString(f, "drainTimeout: 5m\nbackend: [a=127.0.0.1:1]\n");
        r = run("--config", f.toString());
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[1]).contains("key 'drainTimeout' is the old spelling; write drain-timeout");

        Files.writeString(f, "listen: [\"127.0.0.1:0\", \"::1:0\"]\nbackend: [a=127.0.0.1:1]\n");
        r = run("--config", f.toString());
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[1]).contains("--listen (::1:0): write an IPv6 host in brackets, e.g. [::1]:0");

        r = run("--backend", "a=127.0.0.1:1@2");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[1]).contains("--backend (a=127.0.0.1:1@2): '@WEIGHT' is no longer accepted; write ID=HOST:PORT[/WEIGHT]");

        Files.writeString(f, "connect-tries: many\nbackend: [a=127.0.0.1:1]\n");
        r = run("--config", f.toString());
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[1]).contains("--connect-tries").contains("many");

        r = run("--backend", "a=127.0.0.1:1", "--connect-timeout", "soon");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[1]).contains("connect-timeout (soon)");

        r = run("--listen", "127.0.0.1:0");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[1]).contains("membership source is required");

        r = run("--zk", "127.0.0.1:2181", "--cluster", "bad/name");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[1]).contains("bad/name");
    }

    @Test
    void zooKeeperOptionsComeFromFlagsOrTheFile() throws Exception {
        Path f = dir.resolve("zk.yaml");
        Files.writeString(f, "zk: 127.0.0.1:2181\ncluster: prod\nzk-session-timeout: 4s\n");
        LbCommand cmd = new LbCommand();
        new CommandLine(cmd).parseArgs("--config", f.toString(), "--zk-retry-max-attempts", "3");
        LbCommand resolved = cmd.resolve();
        var settings = resolved.zkOptions.toSettings(resolved.toConfig().zk(), resolved.toConfig().cluster());
        assertThat(settings.sessionTimeout()).isEqualTo(Duration.ofSeconds(4));
        assertThat(settings.retryMaxAttempts()).isEqualTo(3);
        assertThat(settings.cluster()).isEqualTo("prod");

        String[] r = run("--zk", "127.0.0.1:2181", "--zk-session-timeout", "soon");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[1]).contains("--zk-session-timeout: 'soon' is not a duration");
    }

    @Test
    void helpListsEveryFlag() {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new LbCommand());
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("--help")).isZero();
        for (String flag : new String[] {"--listen", "--admin", "--zk", "--cluster", "--backend", "--algorithm",
                "--proxy-protocol", "--balance-factor", "--drain-timeout", "--max-connections-per-ip", "--slow-start",
                "--zk-session-timeout"}) {
            assertThat(out.toString()).contains(flag);
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void commandLineStartsAWorkingBalancerAndRefusesABusyPort() throws Exception {
        io.stickyring.lb.support.LbHarness h = new io.stickyring.lb.support.LbHarness();
        try {
            var backend = h.backend("cli", false);
            Path f = dir.resolve("cli.yaml");
            Files.writeString(f, "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nbackend: [cli=127.0.0.1:" + backend.port() + "]\n");
            LbCommand cmd = new LbCommand();
            CommandLine cl = new CommandLine(cmd);
            StringWriter out = new StringWriter();
            cl.setOut(new PrintWriter(out));
            cl.parseArgs("--config", f.toString(), "--algorithm", "maglev");
            LbCommand.Launched l = cmd.launch();
            assertThat(l.exitCode()).isZero();
            h.lbs.add(l.lb());
            assertThat(out.toString()).contains("stickyring lb: proxy on 127.0.0.1:");
            try (io.stickyring.lb.support.TestClient c = new io.stickyring.lb.support.TestClient("127.0.0.1", l.lb().proxyAddress())) {
                assertThat(c.member()).isEqualTo("cli");
            }
            assertThat(l.lb().router().table().hash().algorithm()).isEqualTo("maglev");

            LbCommand busy = new LbCommand();
            CommandLine bl = new CommandLine(busy);
            StringWriter err = new StringWriter();
            bl.setErr(new PrintWriter(err));
            bl.setOut(new PrintWriter(new StringWriter()));
            bl.parseArgs("--listen", "127.0.0.1:" + l.lb().proxyAddress().getPort(), "--admin", "127.0.0.1:0",
                    "--accept-threads", "1", "--backend", "cli=127.0.0.1:" + backend.port());
            LbCommand.Launched refused = busy.launch();
            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(err.toString()).contains("cannot start");
        } finally {
            h.close();
        }
    }
}
