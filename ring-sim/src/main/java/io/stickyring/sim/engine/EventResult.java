package io.stickyring.sim.engine;

/**
 * Measures of one algorithm across one event, summed over its steps (a rolling restart of 10 members
 * is 20 steps). {@code netMoved} compares the event's end to its start: a restart that returns
 * every key home has a large {@code movedKeys} and a zero {@code netMoved}. Event 0 is the initial
 * cluster: only balance, build, lookup and memory are meaningful there. {@code idealConns} is the
 * connection-weighted minimum summed over the steps, {@code receivers} the members that received
 * moved connections in any step, {@code noiseFloor} the std dev of load/fair that a perfectly even
 * algorithm would show with this workload (key-sampling noise, effective sample size
 * (sum of counts)^2 / sum of counts^2).
 */
public record EventResult(
        String algorithm, int event, String eventText, int steps, int ringMembers,
        double movedKeys, double movedConns, double ideal, double toNew, double fromGone, double between,
        double dropped, double netMoved, LoadStats load, double lookupNs, double buildMs, long memoryBytes,
        double idealConns, int receivers, double noiseFloor) {

    /** Moved keys over the ideal minimum: 1.0 is optimal, NaN when nothing had to move. */
    public double excess() {
        return ideal > 0 ? movedKeys / ideal : Double.NaN;
    }

    /** Moved connections over their connection-weighted minimum. */
    public double connsExcess() {
        return idealConns > 0 ? movedConns / idealConns : Double.NaN;
    }
}
