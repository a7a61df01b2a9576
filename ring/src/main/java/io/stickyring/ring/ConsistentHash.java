package io.stickyring.ring;

import java.util.List;
import java.util.function.IntPredicate;

/**
 * "Which member owns this 64-bit key": the one question every hashing algorithm answers.
 *
 * <p>Implementations are immutable, thread-safe and free of I/O. A membership change builds a new
 * instance; readers publish it through one volatile field and never lock on the pick path.
 *
 * <p>Indices returned by the lookups refer to {@link #nodes()}, which is in canonical order (sorted
 * by id), so the same member set gives the same indices whatever order it was supplied in.
 */
public interface ConsistentHash {

    /** The members, sorted by id. Never empty: construction rejects an empty member set. */
    List<Node> nodes();

    /** Index into {@link #nodes()} of the member that owns {@code key}. */
    int ownerIndex(long key);

    /** The member that owns {@code key}. */
    default Node owner(long key) {
        return nodes().get(ownerIndex(key));
    }

    /**
     * Fills {@code out} with the key's preference order: the owner first, then distinct fallbacks,
     * and returns how many entries were written ({@code min(out.length, nodes().size())}).
     *
     * <p>Where an algorithm supports arbitrary removal, the first fallback is the member the key
     * maps to once its owner is removed.
     */
    int preference(long key, int[] out);

    /**
     * Walks the preference order and returns the first member index that {@code accept} takes,
     * or -1 if it refuses every member. Used to skip members that are down or, in
     * {@link BoundedLoadHash}, full. Implementations walk lazily, so an accepted owner costs one
     * lookup and no allocation.
     */
    default int firstAccepted(long key, IntPredicate accept) {
        int[] order = new int[nodes().size()];
        int n = preference(key, order);
        for (int i = 0; i < n; i++) {
            if (accept.test(order[i])) {
                return order[i];
            }
        }
        return -1;
    }

    /**
     * Fraction of the 64-bit key space each member owns, indexed like {@link #nodes()}; sums to 1.
     * Exact for ring and Maglev (arc lengths, table slots), the expected share for rendezvous and
     * jump.
     */
    double[] shares();

    /**
     * Estimated retained heap bytes of this instance: its arrays (with 16-byte headers) plus
     * 64 bytes per member for the node list; docs/benchmarks-ring.md compares the estimate with a
     * heap measurement. Strings are shared with the caller and not counted.
     */
    long estimatedBytes();

    /** Short algorithm name as used on the command line and in metrics ({@code ring}, {@code maglev}...). */
    String algorithm();
}
