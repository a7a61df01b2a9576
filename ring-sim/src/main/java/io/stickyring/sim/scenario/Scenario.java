package io.stickyring.sim.scenario;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A starting cluster and a sequence of events, plus the seed that picks random victims.
 *
 * <p>{@link #expand()} is deterministic: the same scenario gives the same steps, so every algorithm
 * in a run sees exactly the same membership changes.
 */
public record Scenario(Cluster initial, List<Event> events, long seed) {

    public Scenario {
        Objects.requireNonNull(initial);
        events = List.copyOf(events);
    }

    /** An event with the steps it expanded to. */
    public record Expanded(int index, String text, List<Step> steps) {
    }

    public List<Expanded> expand() {
        ScenarioContext ctx = new ScenarioContext(seed, initial);
        List<Expanded> out = new ArrayList<>();
        Cluster c = initial;
        int i = 1;
        for (Event e : events) {
            List<Step> steps = e.expand(c, ctx);
            if (!steps.isEmpty()) {
                c = steps.get(steps.size() - 1).after();
            }
            out.add(new Expanded(i++, e.text(), steps));
        }
        return out;
    }
}
