package io.stickyring.ring;

import java.util.Objects;

/**
 * A member as the hashing algorithms see it: a stable string id and a positive integer weight.
 *
 * <p>The id is the only identity the algorithms hash: never an address or a list position, so a
 * member keeps its keys across restarts and address changes.
 */
public record Node(String id, int weight) implements Comparable<Node> {

    public Node {
        Objects.requireNonNull(id, "id");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("node id must not be empty");
        }
        if (weight < 1) {
            throw new IllegalArgumentException("weight (" + weight + ") of node '" + id + "' must be >= 1");
        }
    }

    /** A node of weight 1. */
    public static Node of(String id) {
        return new Node(id, 1);
    }

    @Override
    public int compareTo(Node o) {
        return id.compareTo(o.id);
    }
}
