package io.stickyring.sim.scenario;

import java.util.Set;

/**
 * One membership change the simulator measures: the cluster after it, and which members left
 * abruptly ({@code failed}: their live connections drop) or gracefully ({@code drained}: their
 * connections stay, new keys go elsewhere).
 */
public record Step(String label, Cluster after, Set<String> failed, Set<String> drained) {

    public Step {
        failed = Set.copyOf(failed);
        drained = Set.copyOf(drained);
    }

    public static Step of(String label, Cluster after) {
        return new Step(label, after, Set.of(), Set.of());
    }
}
