package io.stickyring.sim;

import picocli.CommandLine;

/** Entry point of the standalone jar {@code ring-sim/target/ring-sim.jar}. */
public final class SimMain {

    private SimMain() {
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(commandLine().execute(args));
    }

    /** The sim command line with the error handler the dist jar also gets. */
    public static CommandLine commandLine() {
        return new CommandLine(new SimCommand());
    }
}
