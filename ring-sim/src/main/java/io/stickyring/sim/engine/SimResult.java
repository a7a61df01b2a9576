package io.stickyring.sim.engine;

import java.util.List;

/** Everything one `sim run` measured, in the order it was measured. */
public record SimResult(
        String workload, int keys, long connections, long seed, List<String> algorithms, List<String> eventTexts,
        List<EventResult> events, List<StepResult> steps, List<LoadSnapshot> loads, double elapsedSeconds) {
}
