package io.stickyring.sim.engine;

import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.Node;
import java.util.List;

/**
 * Balance of one built algorithm, two ways: exactly over the key space ({@link ConsistentHash#shares()},
 * exact for ring and Maglev, the expected value for rendezvous and jump), and as sampled over a key
 * set (what a real population of clients sees, sampling noise included).
 */
public final class Balance {

    private Balance() {
    }

    /** Balance of the key-space shares against the weights. */
    public static LoadStats ofShares(ConsistentHash hash) {
        double[] shares = hash.shares();
        List<Node> nodes = hash.nodes();
        long[] scaled = new long[shares.length];
        int[] weights = new int[shares.length];
        for (int i = 0; i < shares.length; i++) {
            // 2^40 units keep ~12 significant digits, far below any imbalance we report.
            scaled[i] = Math.round(shares[i] * (1L << 40));
            weights[i] = nodes.get(i).weight();
        }
        return LoadStats.of(scaled, weights);
    }

    /** Balance of {@code keys} (each weighing {@code counts[i]}, or 1 when counts is null) as assigned by owner. */
    public static LoadStats ofKeys(ConsistentHash hash, long[] keys, int[] counts) {
        int n = hash.nodes().size();
        long[] loads = new long[n];
        for (int i = 0; i < keys.length; i++) {
            loads[hash.ownerIndex(keys[i])] += counts == null ? 1 : counts[i];
        }
        int[] weights = hash.nodes().stream().mapToInt(Node::weight).toArray();
        return LoadStats.of(loads, weights);
    }

    /**
     * The standard deviation of load/fair that sampling alone produces when {@code samples} keys
     * are spread over members with shares {@code w/W}: sqrt((1-p)/(samples p)) averaged in the
     * square over members. A perfectly balanced algorithm measured with that many keys shows this.
     */
    public static double samplingNoise(List<Node> nodes, long samples) {
        double total = nodes.stream().mapToInt(Node::weight).sum();
        double sq = 0;
        for (Node n : nodes) {
            double p = n.weight() / total;
            sq += (1 - p) / (samples * p);
        }
        return Math.sqrt(sq / nodes.size());
    }
}
