package io.stickyring.sim;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * `stickyring sim` (also `java -jar ring-sim.jar`): the remap and balance simulator over the
 * production hashing code of membership's ring package.
 */
@Command(name = "sim", mixinStandardHelpOptions = true, version = "ring-sim 0.1.0",
        description = "Simulate remap and balance of the LB's consistent-hashing algorithms (the production code).",
        subcommands = {RunCommand.class, SweepCommand.class, PaperCommand.class, WhatIfCommand.class,
                AlgorithmsCommand.class})
public final class SimCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }
}
