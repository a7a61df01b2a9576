package io.stickyring.lb.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.cli.HostPort;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.metrics.LbMetrics;
import io.stickyring.membership.MembershipView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Picks from one snapshot: one filter for the first pick, retries and /lookup, bounded loads through BoundedLoadHash. */
@Timeout(30)
class RoutingTableTest {

    private final ScheduledExecutorService control = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    @AfterEach
    void stop() {
        control.shutdownNow();
    }

    Router router(int members, Consumer<LbConfig.Builder> tweak) {
        LbConfig.Builder b = LbConfig.builder().listen(new HostPort("127.0.0.1", 0)).admin(new HostPort("127.0.0.1", 0))
                .backends(RouterTest.members(1));
        tweak.accept(b);
        Router r = new Router(b.build(), HashFactories.defaults(), new LbMetrics(), control, clock::get, false);
        r.applyView(MembershipView.of(1, RouterTest.members(members)));
        return r;
    }

    @Test
    void boundedLoadsAreRingsBoundedLoadHashOverLiveConnections() {
        Router r = router(4, b -> b.balanceFactor = 1.25);
        RoutingTable t = r.table();
        assertThat(t.bounded()).isNotNull();
        assertThat(t.bounded().base()).isSameAs(t.hash());
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 500; i++) {
            long k = rnd.nextLong();
            MemberRuntime m = t.first(k);
            // the pick is exactly what the decorator answers for the same loads
            assertThat(m).isSameAs(t.ring()[t.bounded().ownerIndex(k)]);
            m.register(new RouterTest.FakeConn(k));
        }
    }

    @Test
    void aRetryReachesAFullMemberOnceEveryMemberUnderCapacityWasTried() {
        // Bounded loads shape load but never refuse service, on the first pick and on retries alike.
        Router r = router(3, b -> {
            b.balanceFactor = 1.5;
            b.connectTries = 3;
        });
        RoutingTable t = r.table();
        long key = 77;
        RoutingTable.Lookup l = t.lookup(key);
        MemberRuntime owner = r.member(l.owner());
        for (int i = 0; i < 6; i++) {
            owner.register(new RouterTest.FakeConn(i)); // capacity ceil(1.5 * 7 / 3) = 4: the owner is full
        }
        MemberRuntime[] c = t.candidates(key);
        assertThat(c[0]).isNotSameAs(owner);
        MemberRuntime[] tried = {c[0], c[1], null};
        assertThat(t.next(key, tried, 2)).as("the full owner is the last resort").isSameAs(owner);
        assertThat(c).extracting(MemberRuntime::id).containsExactly(l.preference().get(1), l.preference().get(2), l.owner());
    }

    @Test
    void lookupRetriesAndFirstPickUseTheSameFilter() {
        Router r = router(5, b -> {
            b.maxConnectionsPerMember = 20;
            b.slowStart = Duration.ofSeconds(10);
            b.balanceFactor = 2.0;
        });
        r.markDown(r.member("m2"), "test");
        r.markDown(r.member("m5"), "test");
        r.markUp(r.member("m5"), "test"); // in slow start from now
        clock.addAndGet(3_000_000_000L);
        SplittableRandom rnd = new SplittableRandom(8);
        List<RouterTest.FakeConn> open = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            long k = rnd.nextLong();
            RoutingTable t = r.table();
            MemberRuntime first = t.first(k);
            MemberRuntime[] c = t.candidates(k);
            assertThat(t.lookup(k).candidates()).isEqualTo(java.util.Arrays.stream(c).map(MemberRuntime::id).toList());
            assertThat(first).isSameAs(c.length == 0 ? null : c[0]);
            MemberRuntime[] tried = {first};
            assertThat(first == null ? null : t.next(k, tried, 1)).isSameAs(c.length > 1 ? c[1] : null);
            if (first != null && i % 3 != 0) {
                RouterTest.FakeConn f = new RouterTest.FakeConn(k);
                first.register(f);
                open.add(f);
            }
        }
        assertThat(open).isNotEmpty();
    }

    @Test
    void aReloadPublishesNewPickSettingsInTheNextSnapshot() {
        Router r = router(3, b -> b.connectTries = 3);
        assertThat(r.candidates(5)).hasSize(3);
        LbConfig.Builder b = LbConfig.builder().listen(new HostPort("127.0.0.1", 0)).admin(new HostPort("127.0.0.1", 0))
                .backends(RouterTest.members(1));
        b.connectTries = 2;
        b.maxConnectionsPerMember = 1;
        RoutingTable before = r.table();
        r.reconfigure(b.build());
        assertThat(before.candidates(5)).as("a snapshot never changes").hasSize(3);
        assertThat(r.candidates(5)).hasSize(2);
        MemberRuntime owner = r.first(5);
        owner.register(new RouterTest.FakeConn(5));
        assertThat(r.first(5)).isNotSameAs(owner);
    }
}
