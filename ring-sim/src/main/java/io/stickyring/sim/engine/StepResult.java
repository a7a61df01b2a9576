package io.stickyring.sim.engine;

/**
 * Measures of one algorithm across one membership step. Fractions are in [0, 1]:
 * {@code movedKeys} of keys, the rest of connections (keys weighted by their counts), except
 * {@code ideal}, the minimum fraction of key space any algorithm must move for this change.
 * {@code toNew + fromGone + between == movedConns}. {@code idealConns} is the connection-weighted
 * minimum: connections on members that leave plus what newcomers and weight gains must receive
 * beyond the leavers' share (see {@link Simulator#idealConns}); a heavy NAT on a failed member
 * must move whatever the algorithm.
 * {@code receivers} = members that received at least one moved connection.
 */
public record StepResult(
        String algorithm, int event, String eventText, int step, String stepLabel, int ringMembers,
        double movedKeys, double movedConns, double ideal, double toNew, double fromGone, double between,
        double dropped, LoadStats load, double lookupNs, double buildMs, double idealConns, int receivers,
        @com.fasterxml.jackson.annotation.JsonIgnore boolean[] received) {
}
