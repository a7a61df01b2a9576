package io.stickyring.sim.engine;

import java.util.List;

/** Connections per ring member after an event, with each member's fair share, for the load chart. */
public record LoadSnapshot(String algorithm, int event, String eventText, List<String> members, long[] loads, double[] fair) {
}
