package io.stickyring.lb.support;

import io.stickyring.lb.LbCommand;
import picocli.CommandLine;

/** {@code stickyring lb} in a child JVM, for tests that send it signals. */
public final class LbMain {

    private LbMain() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new LbCommand()).execute(args));
    }
}
