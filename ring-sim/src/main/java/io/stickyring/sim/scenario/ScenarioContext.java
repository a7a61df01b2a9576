package io.stickyring.sim.scenario;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;

/**
 * Mutable state threaded through event expansion: the seeded random source that picks victims,
 * and the generator of fresh member ids.
 *
 * <p>Invariant: an id handed out by {@link #freshId()} was never used before in this scenario, so
 * "add" never resurrects a failed member's keys by accident.
 */
public final class ScenarioContext {

    private final Random random;
    private final Set<String> used = new HashSet<>();
    private int next;

    public ScenarioContext(long seed, Cluster initial) {
        this.random = new Random(seed);
        used.addAll(initial.ids());
        this.next = 0;
    }

    public Random random() {
        return random;
    }

    public String freshId() {
        String id;
        do {
            id = Cluster.memberId(next++);
        } while (used.contains(id));
        used.add(id);
        return id;
    }
}
