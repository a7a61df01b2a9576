package io.stickyring.sim.workload;

import java.util.Objects;

/**
 * The population the simulator maps: distinct 64-bit keys, each with a connection count.
 *
 * <p>Invariant: {@code keys.length == counts.length}, every count is >= 1, and
 * {@link #totalConnections()} is their sum. {@code addresses}, when present, holds the textual client
 * address (or prefix) of each key, for reports that name clients.
 */
public final class KeySet {

    private final String description;
    private final long[] keys;
    private final int[] counts;
    private final String[] addresses;
    private final long totalConnections;

    public KeySet(String description, long[] keys, int[] counts, String[] addresses) {
        this.description = Objects.requireNonNull(description);
        this.keys = Objects.requireNonNull(keys);
        if (counts == null) {
            counts = new int[keys.length];
            java.util.Arrays.fill(counts, 1);
        }
        if (counts.length != keys.length) {
            throw new IllegalArgumentException("counts (" + counts.length + ") and keys (" + keys.length + ") differ in length");
        }
        if (addresses != null && addresses.length != keys.length) {
            throw new IllegalArgumentException("addresses (" + addresses.length + ") and keys (" + keys.length + ") differ in length");
        }
        long total = 0;
        for (int c : counts) {
            if (c < 1) {
                throw new IllegalArgumentException("connection count (" + c + ") must be >= 1");
            }
            total += c;
        }
        if (keys.length == 0) {
            throw new IllegalArgumentException("workload '" + description + "' produced no keys");
        }
        this.counts = counts;
        this.addresses = addresses;
        this.totalConnections = total;
    }

    public String description() {
        return description;
    }

    public int size() {
        return keys.length;
    }

    public long key(int i) {
        return keys[i];
    }

    public int count(int i) {
        return counts[i];
    }

    /** Shared, do not modify. */
    public long[] keys() {
        return keys;
    }

    /** Shared, do not modify. */
    public int[] counts() {
        return counts;
    }

    public String address(int i) {
        return addresses == null ? null : addresses[i];
    }

    public long totalConnections() {
        return totalConnections;
    }

    /**
     * One entry per connection: a key with count c becomes c consecutive entries of count 1, so
     * load-aware algorithms pick per connection as the LB does (a big NAT's connections may then
     * land on several members). Stateless algorithms give identical results either way.
     */
    public KeySet perConnection() {
        if (totalConnections > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("per-connection expansion of " + totalConnections
                    + " connections exceeds the array limit");
        }
        int n = (int) totalConnections;
        long[] k = new long[n];
        String[] a = addresses == null ? null : new String[n];
        int j = 0;
        for (int i = 0; i < keys.length; i++) {
            for (int c = 0; c < counts[i]; c++) {
                k[j] = keys[i];
                if (a != null) {
                    a[j] = addresses[i];
                }
                j++;
            }
        }
        return new KeySet(description + ", one entry per connection", k, null, a);
    }
}
