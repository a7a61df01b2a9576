package io.stickyring.lb.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.cli.HostPort;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.metrics.LbMetrics;
import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.MembershipView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RouterTest {

    private final ScheduledExecutorService control = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final LbMetrics metrics = new LbMetrics();

    @AfterEach
    void stop() {
        control.shutdownNow();
    }

    /** A connection double that records the reason it was closed with. */
    static final class FakeConn implements TrackedConnection {
        final long key;
        volatile CloseReason closed;

        FakeConn(long key) {
            this.key = key;
        }

        @Override
        public long key() {
            return key;
        }

        @Override
        public void close(CloseReason reason) {
            if (closed == null) {
                closed = reason;
            }
        }
    }

    static List<Member> members(int n) {
        List<Member> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(Member.of("m" + i, "127.0.0.1", 10000 + i));
        }
        return out;
    }

    Router router(Consumer<LbConfig.Builder> tweak, boolean activeChecks) {
        LbConfig.Builder b = LbConfig.builder().listen(new HostPort("127.0.0.1", 0)).admin(new HostPort("127.0.0.1", 0))
                .backends(members(1));
        tweak.accept(b);
        return new Router(b.build(), HashFactories.defaults(), metrics, control, clock::get, activeChecks);
    }

    /** Opens {@code perMember} fake connections on each member, keyed so each lands on its owner. */
    Map<String, List<FakeConn>> connect(Router r, int count) {
        Map<String, List<FakeConn>> byMember = new HashMap<>();
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < count; i++) {
            FakeConn c = new FakeConn(rnd.nextLong());
            MemberRuntime m = r.candidates(c.key)[0];
            assertThat(m.register(c)).isTrue();
            byMember.computeIfAbsent(m.id(), k -> new ArrayList<>()).add(c);
        }
        return byMember;
    }

    @Test
    void aMemberSetTheAlgorithmRefusesKeepsThePreviousRing() {
        HashFactory refusesFive = (algorithm, nodes) -> {
            if (nodes.size() > 4) {
                throw new IllegalArgumentException("total weight (5) too large");
            }
            return HashFactories.defaults().build(algorithm, nodes);
        };
        LbConfig cfg = LbConfig.builder().listen(new HostPort("127.0.0.1", 0)).admin(new HostPort("127.0.0.1", 0))
                .backends(members(1)).build();
        Router r = new Router(cfg, refusesFive, metrics, control, clock::get, false);
        r.applyView(MembershipView.of(1, members(4)));
        String owner = r.lookup(42).owner();
        r.applyView(MembershipView.of(2, members(5)));
        assertThat(r.table().ring()).extracting(MemberRuntime::id).containsExactly("m1", "m2", "m3", "m4");
        assertThat(r.lookup(42).owner()).isEqualTo(owner);
        assertThat(metrics.ringBuildFailures.get()).isEqualTo(1.0);
    }

    @Test
    void candidatesFollowPreferenceOrderAndSkipDownMembers() {
        Router r = router(b -> b.connectTries = 3, false);
        r.applyView(MembershipView.of(1, members(4)));
        long key = 42;
        RoutingTable.Lookup l = r.lookup(key);
        assertThat(l.preference()).hasSize(4);
        assertThat(r.candidates(key)).extracting(MemberRuntime::id).containsExactlyElementsOf(l.preference().subList(0, 3));
        r.markDown(r.member(l.owner()), "test");
        assertThat(r.candidates(key)[0].id()).isEqualTo(l.preference().get(1));
        assertThat(r.table().ring()).hasSize(3);
    }

    @Test
    void markDownClosesOnlyThatMembersConnectionsUnlessKept() {
        Router r = router(b -> { }, false);
        r.applyView(MembershipView.of(1, members(4)));
        Map<String, List<FakeConn>> conns = connect(r, 400);
        r.markDown(r.member("m2"), "test");
        conns.forEach((id, list) -> list.forEach(c ->
                assertThat(c.closed).as(id).isEqualTo(id.equals("m2") ? CloseReason.MEMBER_DOWN : null)));

        Router keep = router(b -> b.keepConnectionsOnDown = true, false);
        keep.applyView(MembershipView.of(1, members(4)));
        Map<String, List<FakeConn>> kept = connect(keep, 100);
        keep.markDown(keep.member("m2"), "test");
        kept.values().forEach(list -> list.forEach(c -> assertThat(c.closed).isNull()));
    }

    @Test
    void removalFromViewClosesItsConnectionsAndRemapsOnlyItsKeys() {
        Router r = router(b -> { }, false);
        r.applyView(MembershipView.of(1, members(4)));
        Map<String, List<FakeConn>> conns = connect(r, 400);
        SplittableRandom rnd = new SplittableRandom(1);
        long[] keys = rnd.longs(5000).toArray();
        String[] before = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            before[i] = r.candidates(keys[i])[0].id();
        }
        List<Member> three = members(4).stream().filter(m -> !m.id().equals("m3")).toList();
        r.applyView(MembershipView.of(2, three));
        conns.forEach((id, list) -> list.forEach(c ->
                assertThat(c.closed).isEqualTo(id.equals("m3") ? CloseReason.MEMBER_REMOVED : null)));
        for (int i = 0; i < keys.length; i++) {
            String now = r.candidates(keys[i])[0].id();
            if (!before[i].equals("m3")) {
                assertThat(now).isEqualTo(before[i]);
            }
        }
        assertThat(r.member("m3")).isNull();
        assertThat(metrics.scrape()).asString().doesNotContain("member=\"m3\"");
    }

    @Test
    void drainingMemberTakesNoNewKeysKeepsConnectionsThenClosesAtTimeout() {
        Router r = router(b -> b.drainTimeout = Duration.ofMillis(200), false);
        r.applyView(MembershipView.of(1, members(3)));
        Map<String, List<FakeConn>> conns = connect(r, 300);
        List<Member> drained = members(3).stream().map(m -> m.id().equals("m1") ? m.withState(MemberState.DRAINING) : m).toList();
        r.applyView(MembershipView.of(2, drained));
        assertThat(r.table().ring()).extracting(MemberRuntime::id).containsExactly("m2", "m3");
        assertThat(conns.get("m1")).allMatch(c -> c.closed == null);
        assertThat(r.member("m1").displayState()).isEqualTo("DRAINING");
        await().atMost(Duration.ofSeconds(5)).until(() -> conns.get("m1").stream().allMatch(c -> c.closed == CloseReason.DRAIN_TIMEOUT));
        assertThat(conns.get("m2")).allMatch(c -> c.closed == null);
        assertThat(conns.get("m3")).allMatch(c -> c.closed == null);
    }

    @Test
    void passiveMarkingBacksOffThenRecoversWithoutActiveChecks() throws Exception {
        Router r = router(b -> {
            b.downBackoffMin = Duration.ofMillis(300);
            b.downBackoffMax = Duration.ofSeconds(1);
        }, false);
        r.applyView(MembershipView.of(1, members(2)));
        MemberRuntime m1 = r.member("m1");
        for (int streak = 1; streak <= 2; streak++) {
            long t0 = System.nanoTime();
            r.connectFailed(m1);
            // connectFailed hands the marking to the control thread; a task queued after it sees the result
            boolean down = control.submit(() -> !m1.up() && r.table().ring().length == 1).get();
            assertThat(down).as("down after failure %d", streak).isTrue();
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() -> r.table().ring().length == 2);
            // the backoff doubles with the streak: 300 ms, then 600 ms (timers never fire early)
            assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(300_000_000L * streak);
            assertThat(m1.up()).isTrue();
        }
        assertThat(metrics.memberConnectFailures.labelValues("m1").get()).isEqualTo(2.0);
    }

    @Test
    void activeChecksApplyRiseAndFall() {
        Router r = router(b -> {
            b.healthRise = 2;
            b.healthFall = 3;
        }, true);
        r.applyView(MembershipView.of(1, members(2)));
        MemberRuntime m1 = r.member("m1");
        r.checkResult(m1, false);
        r.checkResult(m1, false);
        assertThat(m1.up()).isTrue();
        r.checkResult(m1, false);
        assertThat(m1.up()).isFalse();
        r.checkResult(m1, true);
        assertThat(m1.up()).isFalse();
        r.checkResult(m1, true);
        assertThat(m1.up()).isTrue();
    }

    @Test
    void slowStartAdmitsAGrowingStableShareOfKeys() {
        Router r = router(b -> b.slowStart = Duration.ofSeconds(10), false);
        r.applyView(MembershipView.of(1, members(4)));
        MemberRuntime m1 = r.member("m1");
        long[] keys = new SplittableRandom(3).longs(20000).filter(k -> r.lookup(k).owner().equals("m1")).toArray();
        r.markDown(m1, "test");
        r.markUp(m1, "test");
        int prev = 0;
        List<Long> admittedBefore = new ArrayList<>();
        for (int step = 0; step <= 10; step++) {
            List<Long> admitted = new ArrayList<>();
            for (long k : keys) {
                if (r.candidates(k)[0] == m1) {
                    admitted.add(k);
                }
            }
            assertThat(admitted).containsAll(admittedBefore);
            double expected = step / 10.0;
            assertThat(admitted.size() / (double) keys.length).isBetween(expected - 0.05, expected + 0.05);
            assertThat(admitted.size()).isGreaterThanOrEqualTo(prev);
            prev = admitted.size();
            admittedBefore = admitted;
            clock.addAndGet(1_000_000_000L);
        }
    }

    @Test
    void fullMemberFallsThroughToNextInPreference() {
        Router r = router(b -> b.maxConnectionsPerMember = 2, false);
        r.applyView(MembershipView.of(1, members(3)));
        long key = 99;
        RoutingTable.Lookup l = r.lookup(key);
        MemberRuntime owner = r.member(l.owner());
        owner.register(new FakeConn(1));
        assertThat(r.candidates(key)[0]).isSameAs(owner);
        owner.register(new FakeConn(2));
        assertThat(r.candidates(key)[0].id()).isEqualTo(l.preference().get(1));
    }

    @Test
    void boundedLoadsCapEveryMember() {
        Router r = router(b -> b.balanceFactor = 1.25, false);
        r.applyView(MembershipView.of(1, members(4)));
        SplittableRandom rnd = new SplittableRandom(11);
        for (int i = 0; i < 1000; i++) {
            FakeConn c = new FakeConn(rnd.nextLong());
            r.candidates(c.key)[0].register(c);
        }
        for (MemberRuntime m : r.table().ring()) {
            assertThat(m.activeConnections()).isLessThanOrEqualTo((int) Math.ceil(1.25 * 1000 / 4));
        }
    }

    @Test
    void whatIfPredictsMovedKeySpaceAndConnections() {
        Router r = router(b -> { }, false);
        r.applyView(MembershipView.of(1, members(4)));
        Map<String, List<FakeConn>> conns = connect(r, 400);
        RoutingTable.WhatIf w = r.whatIf("m1", null);
        assertThat(w.keySpaceMoved()).isCloseTo(r.shares().get("m1"), org.assertj.core.data.Offset.offset(0.01));
        assertThat(w.liveConnectionsOnRemoved()).isEqualTo(conns.get("m1").size());
        assertThat(w.liveConnectionsRemapped()).isZero();
        RoutingTable.WhatIf add = r.whatIf(null, io.stickyring.ring.Node.of("m5"));
        assertThat(add.keySpaceMoved()).isBetween(0.15, 0.25);
        assertThat(add.liveConnectionsOnRemoved()).isZero();
        assertThat(add.liveConnectionsRemapped()).isBetween(40, 120);
    }

    @Test
    void registerRefusesWhenMemberLeftMeanwhile() {
        Router r = router(b -> { }, false);
        r.applyView(MembershipView.of(1, members(2)));
        MemberRuntime m1 = r.member("m1");
        r.applyView(MembershipView.of(2, members(2).subList(1, 2)));
        assertThat(m1.register(new FakeConn(5))).isFalse();
    }

    @Test
    void firstAgreesWithCandidatesUnderEveryFilter() {
        Router r = router(b -> {
            b.maxConnectionsPerMember = 30;
            b.slowStart = Duration.ofSeconds(10);
        }, false);
        r.applyView(MembershipView.of(1, members(5)));
        r.markDown(r.member("m2"), "test");
        r.markDown(r.member("m4"), "test");
        r.markUp(r.member("m4"), "test"); // m4 now in slow start
        clock.addAndGet(4_000_000_000L);
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < 3000; i++) {
            long k = rnd.nextLong();
            MemberRuntime[] c = r.candidates(k);
            MemberRuntime f = r.first(k);
            assertThat(f).isSameAs(c.length == 0 ? null : c[0]);
            if (f != null && i % 2 == 0) {
                f.register(new FakeConn(k)); // fill members up to their cap as we go
            }
            MemberRuntime[] tried = {f, null, null};
            MemberRuntime next = f == null ? null : r.next(k, tried, 1);
            assertThat(next).isSameAs(c.length > 1 ? c[1] : null);
        }
    }

    @Test
    void weightsFromMembershipSetKeySpaceShares() {
        Router r = router(b -> { }, false);
        List<Member> weighted = List.of(new Member("light", "127.0.0.1", 1, 1, MemberState.ACTIVE, "", 0, ""),
                new Member("heavy", "127.0.0.1", 2, 3, MemberState.ACTIVE, "", 0, ""));
        r.applyView(MembershipView.of(1, weighted));
        assertThat(r.shares().get("heavy")).isCloseTo(0.75, org.assertj.core.data.Offset.offset(0.03));
        assertThat(r.shares().get("light")).isCloseTo(0.25, org.assertj.core.data.Offset.offset(0.03));
        SplittableRandom rnd = new SplittableRandom(9);
        int heavy = 0;
        for (int i = 0; i < 20000; i++) {
            if (r.first(rnd.nextLong()).id().equals("heavy")) {
                heavy++;
            }
        }
        assertThat(heavy / 20000.0).isCloseTo(0.75, org.assertj.core.data.Offset.offset(0.03));
    }
}
