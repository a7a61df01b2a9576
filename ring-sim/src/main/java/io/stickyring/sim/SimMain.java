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

    /**
     * The sim command line. A bad flag or {@code --config} file is one line and a hint to
     * {@code --help}, as in the dist launcher, never the whole usage.
     */
    public static CommandLine commandLine() {
        return new CommandLine(new SimCommand()).setParameterExceptionHandler((e, args) -> {
            String name = e.getCommandLine().getCommandSpec().qualifiedName();
            e.getCommandLine().getErr().println(name + ": " + String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " "));
            e.getCommandLine().getErr().println("see '" + name + " --help'");
            e.getCommandLine().getErr().flush();
            return 2;
        });
    }
}
