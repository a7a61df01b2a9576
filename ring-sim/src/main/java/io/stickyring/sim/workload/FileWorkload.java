package io.stickyring.sim.workload;

import java.nio.file.Path;
import java.util.List;

/** Clients read from an {@link AddressFile}; the seed is unused (the file is the population). */
record FileWorkload(String spec, Path path) implements Workload {

    @Override
    public KeySet generate(ClientKeyFunction f, long seed) {
        return fromEntries(spec, AddressFile.read(path), f);
    }

    static KeySet fromEntries(String spec, List<AddressFile.Entry> entries, ClientKeyFunction f) {
        long[] keys = new long[entries.size()];
        int[] counts = new int[entries.size()];
        String[] addresses = new String[entries.size()];
        for (int i = 0; i < keys.length; i++) {
            AddressFile.Entry e = entries.get(i);
            keys[i] = f.key(e.address().getAddress());
            counts[i] = e.count();
            addresses[i] = e.ip();
        }
        return new KeySet(spec + " (" + keys.length + " addresses)", keys, counts, addresses);
    }
}
