package io.stickyring.lb.support;

import io.stickyring.lb.LbCommand;
import picocli.CommandLine;

/** {@code stickyring lb} as a child process of a test (the dist jar's main lives in another module). */
public final class LbMain {

    private LbMain() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new LbCommand()).execute(args));
    }
}
