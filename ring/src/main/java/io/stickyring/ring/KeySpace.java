package io.stickyring.ring;

import java.util.Objects;

/**
 * Comparisons of two mappings over the 64-bit key space, for "what if" questions (the LB's
 * {@code /whatif}, ring-sim): which fraction of keys would change member if {@code before} were
 * replaced by {@code after}. Members are matched by id, so the two may have different member sets.
 *
 * <p>Keys are sampled on a fixed low-discrepancy sequence (the 64-bit golden-ratio Weyl sequence),
 * so the answer is deterministic and its error is well under the binomial {@code 1/sqrt(samples)}.
 */
public final class KeySpace {

    /** 2^64 / golden ratio, odd: consecutive multiples spread evenly over the key space. */
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private KeySpace() {
    }

    /** The i-th sample key. */
    public static long sampleKey(int i) {
        return GOLDEN * (i + 1L);
    }

    /**
     * Fraction of {@code samples} keys whose owner id differs between the two mappings.
     *
     * @throws IllegalArgumentException if samples < 1
     */
    public static double movedFraction(ConsistentHash before, ConsistentHash after, int samples) {
        Objects.requireNonNull(before, "before");
        Objects.requireNonNull(after, "after");
        if (samples < 1) {
            throw new IllegalArgumentException("samples (" + samples + ") must be >= 1");
        }
        int moved = 0;
        for (int i = 0; i < samples; i++) {
            long k = sampleKey(i);
            if (!before.owner(k).id().equals(after.owner(k).id())) {
                moved++;
            }
        }
        return (double) moved / samples;
    }
}
