package io.stickyring.sim;

import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.Node;
import io.stickyring.sim.algo.AlgorithmSpec;
import io.stickyring.sim.workload.ClientKeyFunction;
import java.util.List;
import java.util.Map;

/**
 * Test doubles for the engine tests: tiny {@link ConsistentHash}es whose behaviour is obvious, so
 * the simulator's bookkeeping can be checked independently of the production algorithms.
 */
public final class TestHashes {

    private TestHashes() {
    }

    static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    /** Highest-random-weight over node ids, unweighted: perfectly consistent by construction. */
    public static ConsistentHash hrw(List<Node> nodes) {
        List<Node> sorted = nodes.stream().sorted().toList();
        long[] seeds = sorted.stream().mapToLong(n -> mix(n.id().hashCode())).toArray();
        return new ConsistentHash() {
            @Override
            public List<Node> nodes() {
                return sorted;
            }

            @Override
            public int ownerIndex(long key) {
                int best = 0;
                long bestScore = Long.MIN_VALUE;
                for (int i = 0; i < seeds.length; i++) {
                    long s = mix(key ^ seeds[i]);
                    if (s > bestScore) {
                        bestScore = s;
                        best = i;
                    }
                }
                return best;
            }

            @Override
            public int preference(long key, int[] out) {
                out[0] = ownerIndex(key);
                return 1;
            }

            @Override
            public long estimatedBytes() {
                return 64L * sorted.size();
            }

            @Override
            public double[] shares() {
                double[] s = new double[sorted.size()];
                java.util.Arrays.fill(s, 1.0 / s.length);
                return s;
            }

            @Override
            public String algorithm() {
                return "test-hrw";
            }
        };
    }

    /** key mod n: maximally disruptive, the baseline consistent hashing exists to beat. */
    public static ConsistentHash modulo(List<Node> nodes) {
        List<Node> sorted = nodes.stream().sorted().toList();
        return new ConsistentHash() {
            @Override
            public List<Node> nodes() {
                return sorted;
            }

            @Override
            public int ownerIndex(long key) {
                return (int) Long.remainderUnsigned(key, sorted.size());
            }

            @Override
            public int preference(long key, int[] out) {
                out[0] = ownerIndex(key);
                return 1;
            }

            @Override
            public long estimatedBytes() {
                return 64L * sorted.size();
            }

            @Override
            public double[] shares() {
                double[] s = new double[sorted.size()];
                java.util.Arrays.fill(s, 1.0 / s.length);
                return s;
            }

            @Override
            public String algorithm() {
                return "test-mod";
            }
        };
    }

    public static AlgorithmSpec hrwSpec() {
        return AlgorithmSpec.stateless("test-hrw", "test-hrw", Map.of(), TestHashes::hrw);
    }

    public static AlgorithmSpec moduloSpec() {
        return AlgorithmSpec.stateless("test-mod", "test-mod", Map.of(), TestHashes::modulo);
    }

    /** Big-endian bytes, mixed: a stand-in for the ring package's client-key function. */
    public static final ClientKeyFunction KEYS = a -> {
        long v = 0;
        for (byte b : a) {
            v = v * 1_000_003L + (b & 0xff);
        }
        return mix(v);
    };
}
