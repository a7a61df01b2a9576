package io.stickyring.ring;

import java.util.Collection;
import java.util.Objects;

/**
 * Validated parameters of a consistent-hash algorithm; {@link #build(Collection)} makes the
 * instance. Parameters that do not apply to the chosen algorithm are validated but ignored.
 *
 * @param algorithm which algorithm
 * @param vnodes ring only: virtual nodes per unit of weight, >= 1 (default {@link RingHash#DEFAULT_VNODES})
 * @param maglevTableSize Maglev only: a prime table size, at least the member count (default 65537)
 */
public record HashConfig(HashAlgorithm algorithm, int vnodes, int maglevTableSize) {

    public HashConfig {
        Objects.requireNonNull(algorithm, "algorithm");
        if (vnodes < 1) {
            throw new IllegalArgumentException("vnodes (" + vnodes + ") must be >= 1");
        }
        MaglevHash.checkTableSize(maglevTableSize);
    }

    /** Defaults for {@code algorithm}. */
    public static HashConfig of(HashAlgorithm algorithm) {
        return new HashConfig(algorithm, RingHash.DEFAULT_VNODES, MaglevHash.DEFAULT_TABLE_SIZE);
    }

    /** Defaults for the algorithm named {@code name} ({@code ring|maglev|rendezvous|jump}). */
    public static HashConfig of(String name) {
        return of(HashAlgorithm.fromName(name));
    }

    public HashConfig withVnodes(int v) {
        return new HashConfig(algorithm, v, maglevTableSize);
    }

    public HashConfig withMaglevTableSize(int size) {
        return new HashConfig(algorithm, vnodes, size);
    }

    /** Builds the algorithm over {@code members}; see each class for the member-set checks. */
    public ConsistentHash build(Collection<Node> members) {
        return switch (algorithm) {
            case RING -> new RingHash(members, vnodes);
            case MAGLEV -> new MaglevHash(members, maglevTableSize);
            case RENDEZVOUS -> new RendezvousHash(members);
            case JUMP -> new JumpHash(members);
        };
    }
}
