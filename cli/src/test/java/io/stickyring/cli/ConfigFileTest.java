package io.stickyring.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The one --config mechanism on a small command: keys, precedence, lists, flags and every refusal. */
class ConfigFileTest {

    @TempDir
    Path dir;

    @Command(name = "probe")
    static final class Probe implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOption config = new ConfigOption();
        @Option(names = "--drain-timeout", converter = DurationConverter.class, defaultValue = "5m")
        Duration drainTimeout;
        @Option(names = "--listen")
        List<String> listen;
        @Option(names = "--member", split = ",")
        List<String> members;
        @Option(names = "--tries")
        Integer tries;
        @Option(names = "--verbose")
        boolean verbose;
        @Option(names = "--memory", negatable = true, defaultValue = "true", fallbackValue = "true")
        boolean memory;
        @CommandLine.Mixin
        Child child = new Child();

        Probe seen;

        @Override
        public Integer call() {
            Probe self = config.resolve(Probe::new);
            if (self != this) {
                seen = self;
                return self.call();
            }
            seen = this;
            return 0;
        }
    }

    static final class Child {
        @Option(names = "--zk-session-timeout")
        String zkSessionTimeout;
    }

    @Command(name = "top", subcommands = Probe.class)
    static final class Top implements Runnable {
        @Override
        public void run() {
        }
    }

    private record Run(int code, Probe seen, String err) {
    }

    private Run run(String yaml, String... flags) throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, yaml);
        Probe p = new Probe();
        StringWriter err = new StringWriter();
        List<String> args = new java.util.ArrayList<>(List.of("--config", f.toString()));
        args.addAll(List.of(flags));
        int code = new CommandLine(p).setErr(new PrintWriter(err, true)).execute(args.toArray(String[]::new));
        return new Run(code, p.seen, err.toString());
    }

    @Test
    void keysAreFlagNamesAndFlagsWin() throws Exception {
        Run r = run("drain-timeout: 1h\ntries: 4\nverbose: true\nmemory: false\nzk-session-timeout: 3s\n", "--tries", "7");
        assertThat(r.code()).isZero();
        assertThat(r.seen().drainTimeout).isEqualTo(Duration.ofHours(1));
        assertThat(r.seen().tries).isEqualTo(7);
        assertThat(r.seen().verbose).isTrue();
        assertThat(r.seen().memory).isFalse();
        assertThat(r.seen().child.zkSessionTimeout).isEqualTo("3s");
    }

    @Test
    void aFlagBeforeConfigAlsoWins() throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "tries: 4\n");
        Probe p = new Probe();
        assertThat(new CommandLine(p).execute("--tries", "9", "--config", f.toString())).isZero();
        assertThat(p.seen.tries).isEqualTo(9);
    }

    @Test
    void listsForRepeatableFlagsAndTheCommandLineReplacesTheWholeList() throws Exception {
        Run r = run("listen: [\"0.0.0.0:80\", \"[::]:80\"]\nmember: [\"a,b\", c]\n");
        assertThat(r.seen().listen).containsExactly("0.0.0.0:80", "[::]:80");
        assertThat(r.seen().members).containsExactly("a", "b", "c");
        r = run("listen: [\"0.0.0.0:80\", \"[::]:80\"]\nmember: d\n", "--listen", "127.0.0.1:1");
        assertThat(r.seen().listen).containsExactly("127.0.0.1:1");
        assertThat(r.seen().members).containsExactly("d");
    }

    @Test
    void defaultsStayWhenTheFileIsSilentOrEmpty() throws Exception {
        Run r = run("");
        assertThat(r.code()).isZero();
        assertThat(r.seen().drainTimeout).isEqualTo(Duration.ofMinutes(5));
        assertThat(r.seen().memory).isTrue();
    }

    @Test
    void unknownKeyIsRefusedNamingKeyAndFile() throws Exception {
        Run r = run("drain-timout: 5s\n");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown key 'drain-timout'").contains(dir.resolve("c.yaml").toString());
        assertThat(run("config: other.yaml\n").err()).contains("unknown key 'config'");
    }

    @Test
    void oldCamelCaseKeyIsRefusedNamingTheNewSpelling() throws Exception {
        Run r = run("zkSessionTimeout: 10s\n");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("key 'zkSessionTimeout' is the old spelling; write zk-session-timeout");
        assertThat(run("drainTimeout: 10s\n").err()).contains("write drain-timeout");
        assertThat(run("members: [a]\n").err()).contains("key 'members' is the old spelling; write member");
    }

    @Test
    void badValuesAreNamedWithTheFile() throws Exception {
        Run r = run("drain-timeout: 1500\n");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--config (" + dir.resolve("c.yaml") + ")").contains("1500").contains("needs a unit");
        assertThat(run("tries: [1, 2]\n").err()).contains("key 'tries' takes one value, not a list");
        assertThat(run("tries:\n  a: 1\n").err()).contains("key 'tries' must be a value or a list, not a mapping");
        assertThat(run("- a\n- b\n").err()).contains("must be a YAML mapping");
        assertThat(run("a: [b\n").err()).contains("cannot read");
    }

    @Test
    void aMissingFileIsOneLine() {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Probe()).setErr(new PrintWriter(err, true))
                .execute("--config", dir.resolve("nope.yaml").toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--config (" + dir.resolve("nope.yaml") + "): cannot read: no such file");
    }

    @Test
    void underAParentTheCommandsOwnArgumentsAreUsed() throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "tries: 4\n");
        CommandLine top = new CommandLine(new Top());
        assertThat(top.execute("probe", "--config", f.toString(), "--verbose")).isZero();
        Probe p = top.getSubcommands().get("probe").getCommand();
        assertThat(p.seen.tries).isEqualTo(4);
        assertThat(p.seen.verbose).isTrue();
    }
}
