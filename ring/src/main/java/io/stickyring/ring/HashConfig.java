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
 * @param probes multi-probe only: probes per key, 1..1024 (default {@link MultiProbeHash#DEFAULT_PROBES})
 * @param slots DxHash only: slot count, a power of two >= the total weight (default {@link DxHash#DEFAULT_SLOTS})
 * @param anchorCapacity AnchorHash only: anchor size a, 1..2^20 and >= the total weight (default {@link AnchorHash#DEFAULT_CAPACITY})
 */
public record HashConfig(HashAlgorithm algorithm, int vnodes, int maglevTableSize, int probes, int slots,
                         int anchorCapacity) {

    public HashConfig {
        Objects.requireNonNull(algorithm, "algorithm");
        if (vnodes < 1) {
            throw new IllegalArgumentException("vnodes (" + vnodes + ") must be >= 1");
        }
        MaglevHash.checkTableSize(maglevTableSize);
        MultiProbeHash.checkProbes(probes);
        DxHash.checkSlots(slots);
        AnchorHash.checkCapacity(anchorCapacity);
    }

    /** Default probes. */
    public HashConfig(HashAlgorithm algorithm, int vnodes, int maglevTableSize) {
        this(algorithm, vnodes, maglevTableSize, MultiProbeHash.DEFAULT_PROBES, DxHash.DEFAULT_SLOTS,
                AnchorHash.DEFAULT_CAPACITY);
    }

    /** Defaults for {@code algorithm}. */
    public static HashConfig of(HashAlgorithm algorithm) {
        return new HashConfig(algorithm, RingHash.DEFAULT_VNODES, MaglevHash.DEFAULT_TABLE_SIZE, MultiProbeHash.DEFAULT_PROBES,
                DxHash.DEFAULT_SLOTS, AnchorHash.DEFAULT_CAPACITY);
    }

    /** Defaults for the algorithm named {@code name} ({@code ring|maglev|rendezvous|jump|multiprobe|dxhash|anchor}). */
    public static HashConfig of(String name) {
        return of(HashAlgorithm.fromName(name));
    }

    public HashConfig withVnodes(int v) {
        return new HashConfig(algorithm, v, maglevTableSize, probes, slots, anchorCapacity);
    }

    public HashConfig withMaglevTableSize(int size) {
        return new HashConfig(algorithm, vnodes, size, probes, slots, anchorCapacity);
    }

    public HashConfig withSlots(int a) {
        return new HashConfig(algorithm, vnodes, maglevTableSize, probes, a, anchorCapacity);
    }

    public HashConfig withProbes(int p) {
        return new HashConfig(algorithm, vnodes, maglevTableSize, p, slots, anchorCapacity);
    }

    public HashConfig withAnchorCapacity(int a) {
        return new HashConfig(algorithm, vnodes, maglevTableSize, probes, slots, a);
    }

    /** Builds the algorithm over {@code members}; see each class for the member-set checks. */
    public ConsistentHash build(Collection<Node> members) {
        return switch (algorithm) {
            case RING -> new RingHash(members, vnodes);
            case MAGLEV -> new MaglevHash(members, maglevTableSize);
            case RENDEZVOUS -> new RendezvousHash(members);
            case JUMP -> new JumpHash(members);
            case MULTIPROBE -> new MultiProbeHash(members, probes);
            case DXHASH -> new DxHash(members, slots);
            case ANCHOR -> new AnchorHash(members, anchorCapacity);
        };
    }
}
