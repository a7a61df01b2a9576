package io.stickyring.ring.bench;

import com.google.common.hash.Hashing;
import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.HashAlgorithm;
import io.stickyring.ring.RingHash;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Lookup cost: one {@code ownerIndex} per op over 64k pre-computed random keys (so the key cost
 * is not measured), N equal members at defaults. Peers in the same run: the naive TreeMap ketama
 * over the same points ({@code ketama-treemap}) and Guava's bare jump hash ({@code guava-jump},
 * no member indirection).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LookupBench {

    @Param({"10", "100", "1000"})
    int n;

    @Param({"ring", "maglev", "rendezvous", "jump", "multiprobe", "dxhash", "anchor", "ketama-treemap", "guava-jump"})
    String impl;

    private ConsistentHash hash;
    private TreeMapKetama treeMap;
    private final long[] keys = new long[1 << 16];
    private int i;

    @Setup
    public void setup() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int k = 0; k < keys.length; k++) {
            keys[k] = rnd.nextLong();
        }
        switch (impl) {
            case "ketama-treemap" -> treeMap = new TreeMapKetama(BalanceReport.members("node-", n), RingHash.DEFAULT_VNODES);
            case "guava-jump" -> { }
            default -> hash = HashAlgorithm.fromName(impl).build(BalanceReport.members("node-", n));
        }
    }

    @Benchmark
    public void lookup(Blackhole bh) {
        long key = keys[i++ & (keys.length - 1)];
        if (hash != null) {
            bh.consume(hash.ownerIndex(key));
        } else if (treeMap != null) {
            bh.consume(treeMap.owner(key));
        } else {
            bh.consume(Hashing.consistentHash(key, n));
        }
    }
}
