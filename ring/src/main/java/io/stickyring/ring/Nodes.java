package io.stickyring.ring;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Validation and canonical ordering shared by every algorithm: a member set becomes an immutable
 * list sorted by id, so the same set gives the same indices whatever order it arrived in.
 */
final class Nodes {

    private Nodes() {
    }

    /**
     * Returns {@code nodes} sorted by id as an unmodifiable list.
     *
     * @throws IllegalArgumentException if the set is empty or an id appears twice (naming it)
     */
    static List<Node> canonical(Collection<Node> nodes) {
        Objects.requireNonNull(nodes, "nodes");
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("member set (0 members) must not be empty");
        }
        List<Node> sorted = new ArrayList<>(nodes.size());
        for (Node n : nodes) {
            sorted.add(Objects.requireNonNull(n, "null node in member set"));
        }
        sorted.sort(null);
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).id().equals(sorted.get(i - 1).id())) {
                throw new IllegalArgumentException("duplicate member id '" + sorted.get(i).id() + "'");
            }
        }
        return List.copyOf(sorted);
    }

    /** Sum of the weights, as a long so that many heavy members cannot overflow. */
    static long totalWeight(List<Node> nodes) {
        long total = 0;
        for (Node n : nodes) {
            total += n.weight();
        }
        return total;
    }

    /** weight / total weight per member: the expected share where every unit of weight is equally likely. */
    static double[] weightShares(List<Node> nodes) {
        double[] share = new double[nodes.size()];
        double total = totalWeight(nodes);
        for (int i = 0; i < share.length; i++) {
            share[i] = nodes.get(i).weight() / total;
        }
        return share;
    }

    static int maxWeight(List<Node> nodes) {
        int max = 0;
        for (Node n : nodes) {
            max = Math.max(max, n.weight());
        }
        return max;
    }

    static boolean equalWeights(List<Node> nodes) {
        int w = nodes.get(0).weight();
        for (Node n : nodes) {
            if (n.weight() != w) {
                return false;
            }
        }
        return true;
    }

    /** Index of {@code id} in a canonical list, or -1. */
    static int indexOf(List<Node> nodes, String id) {
        int lo = 0;
        int hi = nodes.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = nodes.get(mid).id().compareTo(id);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }
}
