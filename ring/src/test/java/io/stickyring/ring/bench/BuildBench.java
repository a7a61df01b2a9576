package io.stickyring.ring.bench;

import io.stickyring.ring.HashAlgorithm;
import io.stickyring.ring.Node;
import io.stickyring.ring.RingHash;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Build cost of one instance from N equal members at defaults; peer: the naive TreeMap ketama. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class BuildBench {

    @Param({"10", "100", "1000"})
    int n;

    @Param({"ring", "maglev", "rendezvous", "jump", "multiprobe", "dxhash", "anchor", "ketama-treemap"})
    String impl;

    private List<Node> members;

    @Setup
    public void setup() {
        members = BalanceReport.members("node-", n);
    }

    @Benchmark
    public Object build() {
        if (impl.equals("ketama-treemap")) {
            return new TreeMapKetama(members, RingHash.DEFAULT_VNODES);
        }
        return HashAlgorithm.fromName(impl).build(members);
    }
}
