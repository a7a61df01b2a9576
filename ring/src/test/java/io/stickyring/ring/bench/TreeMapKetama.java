package io.stickyring.ring.bench;

import com.google.common.hash.Hashing;
import io.stickyring.ring.Node;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The naive ketama ring, as most tutorials write it: a {@code TreeMap<Long, Node>} of the same
 * points as {@link io.stickyring.ring.RingHash} (Guava murmur3_128 of id + replica),
 * looked up with {@code ceilingEntry} and wrap-around. The peer in the JMH runs and an
 * independent reference in the tests. On equal points the lower id wins, as in RingHash.
 */
public final class TreeMapKetama {

    private final TreeMap<Long, Node> ring = new TreeMap<>();

    public TreeMapKetama(List<Node> members, int vnodesPerWeight) {
        for (Node n : members) {
            for (int r = 0; r < n.weight() * vnodesPerWeight; r++) {
                long p = Hashing.murmur3_128().newHasher().putString(n.id(), StandardCharsets.UTF_8).putInt(r).hash().asLong();
                ring.merge(p, n, (a, b) -> a.id().compareTo(b.id()) <= 0 ? a : b);
            }
        }
    }

    public Node owner(long key) {
        Map.Entry<Long, Node> e = ring.ceilingEntry(key);
        return (e != null ? e : ring.firstEntry()).getValue();
    }
}
