package io.stickyring.sim.engine;

import java.util.List;

/** Connections per ring member after an event, with each member's fair share and weight, for the load chart and the bounded-loads check. */
public record LoadSnapshot(String algorithm, int event, String eventText, List<String> members, long[] loads, double[] fair,
                           int[] weights) {
}
