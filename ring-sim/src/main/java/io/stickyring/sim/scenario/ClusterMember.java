package io.stickyring.sim.scenario;

/**
 * One simulated member: a stable id, a weight, whether it is draining, and its zone ("" if none).
 *
 * <p>A draining member has left the ring for new keys (its live connections stay where they are),
 * so it is not handed to the hashing algorithm. The zone only selects members for events
 * ({@code drain:zone=z1}); the algorithms never see it.
 */
public record ClusterMember(String id, int weight, boolean draining, String zone) {

    public ClusterMember {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("member id must not be empty");
        }
        if (weight < 1) {
            throw new IllegalArgumentException("weight (" + weight + ") of member '" + id + "' must be >= 1");
        }
        zone = zone == null ? "" : zone;
    }

    /** A member without a zone. */
    public ClusterMember(String id, int weight, boolean draining) {
        this(id, weight, draining, "");
    }

    ClusterMember withWeight(int w) {
        return new ClusterMember(id, w, draining, zone);
    }

    ClusterMember drained() {
        return new ClusterMember(id, weight, true, zone);
    }
}
