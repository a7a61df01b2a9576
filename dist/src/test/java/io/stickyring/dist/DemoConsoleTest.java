package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The console's grammar against a recording {@link DemoControl}: what each line does, and that bad lines change nothing. */
class DemoConsoleTest {

    private final List<String> calls = new ArrayList<>();
    private final DemoControl control = new DemoControl() {
        @Override
        public String kill(String id, boolean force) {
            check(id);
            calls.add((force ? "kill -9 " : "kill ") + id);
            return "killed " + id;
        }

        @Override
        public String start(String id) {
            check(id);
            if (id.equals("n1")) {
                throw new IllegalStateException("node n1 is already running (pid 42)");
            }
            calls.add("start " + id);
            return "started " + id;
        }

        @Override
        public List<String> statusLines() {
            calls.add("status");
            return List.of("n1 running", "n2 stopped");
        }

        private void check(String id) {
            if (!id.matches("n[12]")) {
                throw new IllegalArgumentException("no node '" + id + "' (nodes: n1, n2)");
            }
        }
    };

    private String run(String input, DemoConsole.End expectedEnd) throws Exception {
        StringWriter out = new StringWriter();
        DemoConsole.End end = new DemoConsole(control, new BufferedReader(new StringReader(input)), new PrintWriter(out)).run();
        assertThat(end).isEqualTo(expectedEnd);
        return out.toString();
    }

    @Test
    void killKillMinusNineStartAndStatusReachTheDemo() throws Exception {
        String out = run("status\nkill n2\nkill -9 n2\nkill -KILL n1\nkill -TERM n1\n  start   n2  \nquit\nstatus\n", DemoConsole.End.QUIT);
        assertThat(calls).containsExactly("status", "kill n2", "kill -9 n2", "kill -9 n1", "kill n1", "start n2");
        assertThat(out).contains("n1 running", "n2 stopped", "killed n2", "started n2");
    }

    @Test
    void badLinesAreNamedAndChangeNothing() throws Exception {
        String out = run("kill\nkill -3 n1\nkill n1 n2\nstart\nkill n9\nstart n1\nreboot n1\nstatus now\n\n", DemoConsole.End.END_OF_INPUT);
        assertThat(calls).isEmpty();
        assertThat(out).contains("error: usage: kill [-9] ID (got 'kill')", "error: usage: kill [-9] ID (got 'kill -3 n1')",
                "error: usage: kill [-9] ID (got 'kill n1 n2')", "error: usage: start ID (got 'start')",
                "error: no node 'n9' (nodes: n1, n2)", "error: node n1 is already running (pid 42)",
                "error: unknown command 'reboot'", "error: usage: status (got 'status now')");
    }

    @Test
    void helpListsEveryCommandAndExitAlsoQuits() throws Exception {
        String out = run("help\nexit\n", DemoConsole.End.QUIT);
        assertThat(out).contains("status", "kill ID", "kill -9 ID", "start ID", "quit");
    }
}
