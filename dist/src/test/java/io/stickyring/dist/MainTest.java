package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The root command line: a run builds only the subcommand it names; usage and unknown names get all of them. */
class MainTest {

    @Test
    void aRunBuildsOnlyTheSubcommandItNames() {
        assertThat(Main.commandLine("lb").getSubcommands().keySet()).containsExactly("lb");
        assertThat(Main.commandLine("sim").getSubcommands().keySet()).containsExactly("sim");
    }

    @Test
    void usageAndUnknownNamesGetEverySubcommandInOrder() {
        for (String first : new String[] {null, "--help", "lbb"}) {
            assertThat(Main.commandLine(first).getSubcommands().keySet())
                    .containsExactly("demo", "lb", "node", "zk", "sim", "loadgen", "token");
        }
        StringWriter err = new StringWriter();
        int code = Main.commandLine("lbb").setErr(new PrintWriter(err, true)).execute("lbb");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("lbb").contains("see 'stickyring --help'");
    }

    @Test
    void theOneLineErrorHandlersReachTheOneSubcommand() {
        CommandLine cl = Main.commandLine("lb");
        StringWriter err = new StringWriter();
        int code = cl.setErr(new PrintWriter(err, true)).execute("lb", "--no-such-flag");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines()).containsExactly(
                "stickyring lb: Unknown option: '--no-such-flag'", "see 'stickyring lb --help'");
    }
}
