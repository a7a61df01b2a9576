package io.stickyring.lb.bench;

import io.stickyring.cli.HostPort;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.metrics.LbMetrics;
import io.stickyring.lb.route.HashFactories;
import io.stickyring.lb.route.KeyFunction;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.route.Router;
import io.stickyring.membership.Member;
import io.stickyring.membership.MembershipView;
import io.stickyring.ring.KeyMode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Cost of the LB's per-connection routing decision: {@code key} (client address to ring key),
 * {@code pick} (Router.candidates: one volatile read, preference walk, health/limit filters, result
 * array) and {@code keyAndPick}; the bare {@code ownerIndex} of the same ring is the peer in the
 * same run. Run with bench/lb/jmh-pick.sh.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PickBench {

    @Param({"10", "100"})
    int n;

    @Param({"ring", "maglev"})
    String algorithm;

    private Router router;
    private ScheduledExecutorService control;
    private final KeyFunction keyFunction = KeyFunctions.of(KeyMode.ADDRESS, 24, 64);
    private final InetSocketAddress[] clients = new InetSocketAddress[1024];
    private final long[] keys = new long[1024];
    private int i;

    @Setup
    public void setup() throws Exception {
        List<Member> members = new ArrayList<>();
        for (int m = 0; m < n; m++) {
            members.add(Member.of("node-" + m, "127.0.0.1", 10000 + m));
        }
        LbConfig.Builder b = LbConfig.builder().listen(new HostPort("127.0.0.1", 0)).admin(new HostPort("127.0.0.1", 0))
                .backends(members);
        b.algorithm = algorithm;
        control = Executors.newSingleThreadScheduledExecutor();
        router = new Router(b.build(), HashFactories.defaults(), new LbMetrics(), control, System::nanoTime, false);
        router.applyView(MembershipView.of(1, members));
        SplittableRandom rnd = new SplittableRandom(1);
        for (int c = 0; c < clients.length; c++) {
            byte[] a = new byte[4];
            int v = rnd.nextInt();
            a[0] = (byte) (v >>> 24);
            a[1] = (byte) (v >>> 16);
            a[2] = (byte) (v >>> 8);
            a[3] = (byte) v;
            clients[c] = new InetSocketAddress(InetAddress.getByAddress(a), 40000);
            keys[c] = keyFunction.key(clients[c]);
        }
    }

    @TearDown
    public void tearDown() {
        control.shutdownNow();
    }

    @Benchmark
    public long key() {
        return keyFunction.key(clients[i++ & 1023]);
    }

    @Benchmark
    public Object pick() {
        return router.first(keys[i++ & 1023]);
    }

    @Benchmark
    public Object keyAndPick() {
        return router.first(keyFunction.key(clients[i++ & 1023]));
    }

    @Benchmark
    public Object candidates() {
        return router.candidates(keys[i++ & 1023]);
    }

    @Benchmark
    public int ownerIndex() {
        return router.table().hash().ownerIndex(keys[i++ & 1023]);
    }
}
