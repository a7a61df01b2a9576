package io.stickyring.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Runs a command body and turns bad input into one clear line on stderr and exit code 2, whether
 * the command runs from the standalone jar or from the dist launcher (which has its own handler).
 */
final class Cli {

    private Cli() {
    }

    static Integer guard(CommandSpec spec, Callable<Integer> body) throws Exception {
        try {
            return body.call();
        } catch (IllegalArgumentException | IOException | UncheckedIOException e) {
            spec.commandLine().getErr().println(spec.qualifiedName() + ": " + e.getMessage());
            spec.commandLine().getErr().flush();
            return 2;
        }
    }
}
