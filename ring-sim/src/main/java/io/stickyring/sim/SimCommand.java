package io.stickyring.sim;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** `stickyring sim`: Simulate remap and balance of the hashing algorithms. */
@Command(name = "sim", mixinStandardHelpOptions = true, description = "Simulate remap and balance of the hashing algorithms.")
public final class SimCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("stickyring sim: not built yet");
        return 2;
    }
}
