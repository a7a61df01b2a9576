package io.stickyring.sim.scenario;

/**
 * One simulated member: a stable id, a weight, and whether it is draining.
 *
 * <p>A draining member has left the ring for new keys (its live connections stay where they are),
 * so it is not handed to the hashing algorithm.
 */
public record ClusterMember(String id, int weight, boolean draining) {

    public ClusterMember {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("member id must not be empty");
        }
        if (weight < 1) {
            throw new IllegalArgumentException("weight (" + weight + ") of member '" + id + "' must be >= 1");
        }
    }

    ClusterMember withWeight(int w) {
        return new ClusterMember(id, w, draining);
    }

    ClusterMember drained() {
        return new ClusterMember(id, weight, true);
    }
}
