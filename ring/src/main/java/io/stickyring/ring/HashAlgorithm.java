package io.stickyring.ring;

import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The consistent-hash algorithms by their command-line name ({@code --algorithm ring|maglev|...}).
 * {@link #build(Collection)} makes one with default parameters; {@link HashConfig} sets them.
 */
public enum HashAlgorithm {
    /** Ketama-style ring with virtual nodes ({@link RingHash}). */
    RING("ring", true, true),
    /** Maglev lookup table ({@link MaglevHash}); near-minimal disruption. */
    MAGLEV("maglev", false, true),
    /** Weighted rendezvous / highest random weight ({@link RendezvousHash}); O(N) lookup. */
    RENDEZVOUS("rendezvous", true, true),
    /** Jump consistent hash ({@link JumpHash}); only the last member can leave cleanly; study only. */
    JUMP("jump", false, false),
    /** Multi-probe consistent hashing ({@link MultiProbeHash}); one point per unit weight, k probes per key. */
    MULTIPROBE("multiprobe", true, true),
    /** DxHash ({@link DxHash}), pure member-set variant: near-minimal like Maglev, one int per slot. */
    DXHASH("dxhash", false, true),
    /**
     * AnchorHash ({@link AnchorHash}): exactly minimal under its own remove/add transitions, but its
     * mapping depends on the order of changes, so independently built LB instances would disagree;
     * study only (ring-sim follows a scenario's history).
     */
    ANCHOR("anchor", false, false);

    private final String cliName;
    private final boolean minimalDisruption;
    private final boolean offeredToLb;

    HashAlgorithm(String cliName, boolean minimalDisruption, boolean offeredToLb) {
        this.cliName = cliName;
        this.minimalDisruption = minimalDisruption;
        this.offeredToLb = offeredToLb;
    }

    /** Name on the command line and in metrics, e.g. {@code ring}. */
    public String cliName() {
        return cliName;
    }

    /**
     * True if removing any member moves only its keys (each to its first fallback) and adding one
     * moves keys only to it. Maglev is near-minimal; jump is minimal only for the last member.
     */
    public boolean minimalDisruption() {
        return minimalDisruption;
    }

    /** True for the algorithms the LB accepts (all but {@code jump} and {@code anchor}). */
    public boolean offeredToLb() {
        return offeredToLb;
    }

    /** Builds this algorithm over {@code members} with default parameters. */
    public ConsistentHash build(Collection<Node> members) {
        return HashConfig.of(this).build(members);
    }

    /**
     * Parses a command-line name (case-insensitive).
     *
     * @throws IllegalArgumentException naming the bad value and the accepted ones
     */
    public static HashAlgorithm fromName(String name) {
        if (name != null) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (HashAlgorithm a : values()) {
                if (a.cliName.equals(n)) {
                    return a;
                }
            }
        }
        throw new IllegalArgumentException("unknown hash algorithm '" + name + "'; expected one of "
                + Arrays.stream(values()).map(HashAlgorithm::cliName).collect(Collectors.joining("|")));
    }

    /** The names the LB accepts, comma-separated, in declaration order: {@code ring, maglev, rendezvous, ...}. */
    public static String lbNames() {
        return Arrays.stream(values()).filter(HashAlgorithm::offeredToLb).map(HashAlgorithm::cliName)
                .collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
