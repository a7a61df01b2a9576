package io.stickyring.sim.algo;

import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.Node;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One algorithm configuration to simulate: a label for reports, the parameters it was parsed from,
 * how to build it for a member set, and how keys are assigned with it.
 *
 * <p>The builder always returns a production {@link ConsistentHash} from the ring package (tests may
 * pass doubles); the simulator never re-implements an algorithm.
 */
public record AlgorithmSpec(String label, String name, Map<String, String> params, Builder builder, Assigner assigner) {

    public AlgorithmSpec {
        Objects.requireNonNull(label);
        Objects.requireNonNull(name);
        params = Map.copyOf(params);
        Objects.requireNonNull(builder);
        Objects.requireNonNull(assigner);
    }

    /** A spec whose keys go to {@link ConsistentHash#ownerIndex(long)}. */
    public static AlgorithmSpec stateless(String label, String name, Map<String, String> params, Builder builder) {
        return new AlgorithmSpec(label, name, params, builder, Assigner.OWNER);
    }

    public ConsistentHash build(List<Node> nodes) {
        return builder.build(nodes);
    }

    /** The hash for {@code nodes} after {@code previous} (a scenario step); {@link Builder#next}. */
    public ConsistentHash next(ConsistentHash previous, List<Node> nodes) {
        return previous == null ? builder.build(nodes) : builder.next(previous, nodes);
    }

    /** Builds the production algorithm for a member set (sorted or not). */
    @FunctionalInterface
    public interface Builder {
        ConsistentHash build(List<Node> nodes);

        /**
         * The hash for {@code nodes} when the membership changes from {@code previous}'s: a fresh
         * build for algorithms whose mapping is a function of the member set (all but AnchorHash),
         * the paper's remove/add transitions for AnchorHash, whose mapping depends on the history.
         */
        default ConsistentHash next(ConsistentHash previous, List<Node> nodes) {
            return build(nodes);
        }
    }

    /**
     * Assigns every key to an index of {@code hash.nodes()}. Stateless algorithms use the owner;
     * load-aware ones (bounded load) place keys in order, as connections would arrive, so one
     * {@link #start} is one arrival sequence.
     */
    @FunctionalInterface
    public interface Assigner {
        Assigner OWNER = (hash, keys, counts) -> (from, to, out) -> {
            for (int i = from; i < to; i++) {
                out[i] = hash.ownerIndex(keys[i]);
            }
        };

        /** Begins one assignment pass over all keys (ranges are then filled from 0 upwards). */
        Pass start(ConsistentHash hash, long[] keys, int[] counts);

        /** Whether ranges of one pass may be filled concurrently (false when an owner depends on earlier keys). */
        default boolean parallelSafe() {
            return this == OWNER;
        }
    }

    /** One assignment pass. */
    @FunctionalInterface
    public interface Pass {
        /** Fills {@code out[from..to)} with indices into the hash's nodes(). */
        void assign(int from, int to, int[] out);
    }
}
