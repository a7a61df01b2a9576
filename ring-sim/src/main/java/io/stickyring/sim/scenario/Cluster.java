package io.stickyring.sim.scenario;

import io.stickyring.ring.Node;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable simulated cluster: members in insertion order, keyed by id.
 *
 * <p>Invariant: ids are unique; {@link #ringNodes()} is exactly the non-draining members, which is
 * what the LB hands to the hashing algorithm.
 */
public final class Cluster {

    private final Map<String, ClusterMember> members;

    private Cluster(Map<String, ClusterMember> members) {
        this.members = Collections.unmodifiableMap(members);
    }

    public static Cluster of(Collection<ClusterMember> members) {
        Map<String, ClusterMember> m = new LinkedHashMap<>();
        for (ClusterMember cm : members) {
            if (m.put(cm.id(), cm) != null) {
                throw new IllegalArgumentException("duplicate member id '" + cm.id() + "'");
            }
        }
        return new Cluster(m);
    }

    /** {@code n} members of weight 1 named by {@link #memberId(int)}. */
    public static Cluster uniform(int n) {
        return uniform(n, 0);
    }

    /** {@code n} members of weight 1, spread round-robin over zones {@code z0..z(zones-1)} (none if 0). */
    public static Cluster uniform(int n, int zones) {
        if (n < 1) {
            throw new IllegalArgumentException("members (" + n + ") must be >= 1");
        }
        if (zones < 0 || zones > n) {
            throw new IllegalArgumentException("zones (" + zones + ") must be in 0.." + n);
        }
        List<ClusterMember> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new ClusterMember(memberId(i), 1, false, zones == 0 ? "" : "z" + (i % zones)));
        }
        return of(list);
    }

    /** The generated id of the i-th member: {@code m000}, {@code m001}... (zero-padded so id order is numeric order). */
    public static String memberId(int i) {
        return String.format("m%03d", i);
    }

    public List<ClusterMember> members() {
        return List.copyOf(members.values());
    }

    public ClusterMember get(String id) {
        return members.get(id);
    }

    public boolean contains(String id) {
        return members.containsKey(id);
    }

    public Set<String> ids() {
        return members.keySet();
    }

    public int size() {
        return members.size();
    }

    /** Members that take new keys (not draining), as the algorithms see them. */
    public List<Node> ringNodes() {
        List<Node> nodes = new ArrayList<>();
        for (ClusterMember m : members.values()) {
            if (!m.draining()) {
                nodes.add(new Node(m.id(), m.weight()));
            }
        }
        return nodes;
    }

    Cluster without(String id) {
        Map<String, ClusterMember> m = new LinkedHashMap<>(members);
        m.remove(id);
        return new Cluster(m);
    }

    Cluster with(ClusterMember cm) {
        Map<String, ClusterMember> m = new LinkedHashMap<>(members);
        m.put(cm.id(), cm);
        return new Cluster(m);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cluster c && c.members.equals(members);
    }

    @Override
    public int hashCode() {
        return members.hashCode();
    }

    @Override
    public String toString() {
        return members.values().toString();
    }
}
