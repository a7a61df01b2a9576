package io.stickyring.sim.algo;

import io.stickyring.sim.workload.ClientKeyFunction;
import java.util.List;

/**
 * Where the simulator gets its algorithms and its client-key function from. The production
 * catalog binds the ring package; tests pass doubles.
 */
public interface AlgorithmCatalog {

    /** Parses {@code name[:param=value...]} into a spec, naming the bad part on error. */
    AlgorithmSpec parse(String text);

    /** Names with their parameters and defaults, for --help and errors. */
    List<String> describe();

    /** The key derivation the LB applies to a client address. */
    ClientKeyFunction clientKeys();
}
