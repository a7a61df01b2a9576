package io.stickyring.lb.nft;

import io.stickyring.ring.ConsistentHash;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The kernel's slot -> member table for nft mode, filled from any {@link ConsistentHash}: slot
 * {@code i} is looked up as the synthetic ring key {@link #slotKey(int) slotKey(i)} (a fixed 64-bit
 * mix of {@code i}), so ring, Maglev and rendezvous all work unchanged and each slot takes the owner
 * the algorithm gives that key. The kernel picks {@code slot = jhash(client address) mod M} (see
 * {@link Jhash}); a client's member is therefore {@code owner(slotKey(slot(client)))}.
 *
 * <p>Invariant: a membership change moves exactly the slots whose key changed owner in the
 * algorithm, so the algorithm's disruption guarantee (a removal moves only the removed member's keys,
 * a join about 1/(N+1) of them) carries over to slots; {@link #changedSlots} lists exactly those.
 * Immutable.
 */
public final class SlotTable {

    /**
     * Where one slot sends new flows: the address and port the kernel DNATs to, and the member id
     * (empty when read back from the kernel, which stores only address and port). Equality is address
     * and port only, as in the kernel.
     */
    public record Target(String member, InetAddress address, int port) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Target t && t.port == port && t.address.equals(address);
        }

        @Override
        public int hashCode() {
            return address.hashCode() * 31 + port;
        }

        public Target {
            Objects.requireNonNull(member, "member");
            Objects.requireNonNull(address, "address");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port (" + port + ") of member '" + member + "' must be in 1..65535");
            }
        }
    }

    private final Target[] slots;

    private SlotTable(Target[] slots) {
        this.slots = slots;
    }

    /** A table of {@code size} empty slots (no member: the kernel leaves the packet alone). */
    public static SlotTable empty(int size) {
        return new SlotTable(new Target[checkSize(size)]);
    }

    /** The table as read back from the kernel (null entries are slots without an element). */
    public static SlotTable of(Target[] slots) {
        checkSize(slots.length);
        return new SlotTable(slots.clone());
    }

    /**
     * Fills {@code size} slots from {@code hash}; {@code targets} gives each member's address by id.
     * Null {@code hash} (no routable member) gives an empty table.
     */
    public static SlotTable fill(ConsistentHash hash, Function<String, Target> targets, int size) {
        Target[] out = new Target[checkSize(size)];
        if (hash == null) {
            return new SlotTable(out);
        }
        Target[] byIndex = new Target[hash.nodes().size()];
        for (int n = 0; n < byIndex.length; n++) {
            byIndex[n] = Objects.requireNonNull(targets.apply(hash.nodes().get(n).id()),
                    () -> "no address for a ring member");
        }
        for (int i = 0; i < size; i++) {
            out[i] = byIndex[hash.ownerIndex(slotKey(i))];
        }
        return new SlotTable(out);
    }

    /**
     * The ring key slot {@code i} is looked up with: MurmurHash3's fmix64 finalizer (Appleby, public
     * domain) of {@code i} plus the golden-ratio constant, so consecutive slots land uniformly over the
     * 64-bit key space whatever the algorithm does with the key (ring position, Maglev table index,
     * rendezvous score). Example: slot 0 -> fmix64(0x9e3779b97f4a7c15).
     */
    public static long slotKey(int slot) {
        long k = slot + 0x9e3779b97f4a7c15L;
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }

    private static int checkSize(int size) {
        if (size < 1 || size > NftConfig.MAX_SLOTS) {
            throw new IllegalArgumentException("slot count (" + size + ") must be in 1.." + NftConfig.MAX_SLOTS);
        }
        return size;
    }

    public int size() {
        return slots.length;
    }

    /** The slot's target, or null when the slot is empty. */
    public Target get(int slot) {
        return slots[slot];
    }

    /** Slots whose target differs between this table and {@code next} (same size), ascending. */
    public int[] changedSlots(SlotTable next) {
        if (next.slots.length != slots.length) {
            throw new IllegalArgumentException("slot tables differ in size: " + slots.length + " vs " + next.slots.length);
        }
        int[] out = new int[slots.length];
        int n = 0;
        for (int i = 0; i < slots.length; i++) {
            if (!Objects.equals(slots[i], next.slots[i])) {
                out[n++] = i;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Slots per member id, in first-seen order. */
    public Map<String, Integer> counts() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Target t : slots) {
            if (t != null) {
                out.merge(t.member(), 1, Integer::sum);
            }
        }
        return out;
    }

    /** Distinct targets present in the table. */
    public List<Target> targets() {
        Set<Target> out = new LinkedHashSet<>();
        for (Target t : slots) {
            if (t != null) {
                out.add(t);
            }
        }
        return List.copyOf(out);
    }
}
