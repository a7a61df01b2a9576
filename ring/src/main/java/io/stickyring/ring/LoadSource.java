package io.stickyring.ring;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Current per-member load (e.g. live connections), indexed like {@link ConsistentHash#nodes()},
 * as {@link BoundedLoadHash} reads it at pick time. Reads may race with updates; the bound then
 * holds up to the updates in flight.
 */
public interface LoadSource {

    /** Load of member {@code index}. */
    int load(int index);

    /** Sum of all loads. */
    int total();

    /** A view over a plain array (single-threaded use: simulator, tests). */
    static LoadSource of(int[] loads) {
        return new LoadSource() {
            @Override
            public int load(int index) {
                return loads[index];
            }

            @Override
            public int total() {
                int t = 0;
                for (int l : loads) {
                    t += l;
                }
                return t;
            }
        };
    }

    /** A view over an atomic array the caller increments and decrements concurrently. */
    static LoadSource of(AtomicIntegerArray loads) {
        return new LoadSource() {
            @Override
            public int load(int index) {
                return loads.get(index);
            }

            @Override
            public int total() {
                int t = 0;
                for (int i = 0; i < loads.length(); i++) {
                    t += loads.get(i);
                }
                return t;
            }
        };
    }
}
