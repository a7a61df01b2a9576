package io.stickyring.dist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;

/**
 * The demo's interactive console: reads one command a line ({@code kill ID}, {@code kill -9 ID},
 * {@code start ID}, {@code status}, {@code help}, {@code quit}) and answers on one or more lines.
 *
 * <p>Invariant: a bad command or a refused action prints an error naming the bad value and the
 * console keeps running; only {@code quit}/{@code exit} or the end of input end {@link #run()}.
 */
final class DemoConsole {

    /** How {@link #run()} ended. */
    enum End { QUIT, END_OF_INPUT }

    static final String HELP = String.join("\n",
            "  status          nodes, their processes and what the LB sees",
            "  kill ID         SIGTERM: the node drains (DRAINING), closes sessions with 1012, deregisters",
            "  kill -9 ID      SIGKILL: a crash; its clients reconnect through the LB to other nodes",
            "  start ID        start a stopped node again (same data directory)",
            "  quit            stop everything and exit (Ctrl-C does the same)");

    private final DemoControl demo;
    private final BufferedReader in;
    private final PrintWriter out;

    DemoConsole(DemoControl demo, BufferedReader in, PrintWriter out) {
        this.demo = demo;
        this.in = in;
        this.out = out;
    }

    End run() throws IOException {
        prompt();
        String line;
        while ((line = in.readLine()) != null) {
            if (!execute(line.trim())) {
                return End.QUIT;
            }
            prompt();
        }
        return End.END_OF_INPUT;
    }

    private void prompt() {
        out.print("demo> ");
        out.flush();
    }

    /** Runs one command; false means quit. */
    boolean execute(String line) {
        if (line.isEmpty()) {
            return true;
        }
        String[] w = line.split("\\s+");
        try {
            switch (w[0]) {
                case "quit", "exit" -> {
                    return false;
                }
                case "help", "?" -> out.println(HELP);
                case "status" -> {
                    expect(w, 1, "status");
                    List<String> lines = demo.statusLines();
                    lines.forEach(out::println);
                }
                case "kill" -> {
                    if (w.length == 3 && (w[1].equals("-9") || w[1].equals("-KILL"))) {
                        out.println(demo.kill(w[2], true));
                    } else if (w.length == 3 && (w[1].equals("-15") || w[1].equals("-TERM"))) {
                        out.println(demo.kill(w[2], false));
                    } else if (w.length == 2 && !w[1].startsWith("-")) {
                        out.println(demo.kill(w[1], false));
                    } else {
                        throw new IllegalArgumentException("usage: kill [-9] ID (got '" + line + "')");
                    }
                }
                case "start" -> {
                    expect(w, 2, "start ID");
                    out.println("starting " + w[1] + " (after a kill -9 this waits for its old ZooKeeper session to expire, up to ~15 s) ...");
                    out.flush();
                    out.println(demo.start(w[1]));
                }
                default -> throw new IllegalArgumentException("unknown command '" + w[0] + "'; commands:\n" + HELP);
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            out.println("error: " + e.getMessage());
        }
        out.flush();
        return true;
    }

    private static void expect(String[] words, int n, String usage) {
        if (words.length != n) {
            throw new IllegalArgumentException("usage: " + usage + " (got '" + String.join(" ", words) + "')");
        }
    }
}
