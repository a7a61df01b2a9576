package io.stickyring.sim;

import io.stickyring.sim.algo.ProductionCatalog;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** `sim algorithms`: the algorithm specs the simulator accepts. */
@Command(name = "algorithms", mixinStandardHelpOptions = true, description = "List the algorithm specs and their parameters.")
public final class AlgorithmsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        new ProductionCatalog().describe().forEach(spec.commandLine().getOut()::println);
        return 0;
    }
}
