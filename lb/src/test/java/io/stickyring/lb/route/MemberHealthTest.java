package io.stickyring.lb.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.lb.route.MemberHealth.Transition;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The member health state machine on an injected clock: every time below is a plain number. */
class MemberHealthTest {

    private static final long S = 1_000_000_000L;

    static HealthPolicy policy(boolean activeChecks, Duration slowStart, Duration drain) {
        return new HealthPolicy(activeChecks, 2, 3, Duration.ofSeconds(1), Duration.ofSeconds(30), slowStart, drain);
    }

    @Test
    void passiveBackoffDoublesPerFailureInARowAndIsCapped() {
        HealthPolicy p = policy(false, Duration.ZERO, Duration.ZERO);
        MemberHealth h = new MemberHealth();
        long now = 100 * S;
        long[] want = {1, 2, 4, 8, 16, 30, 30};
        for (long w : want) {
            h.recordConnectFailure();
            h.connectFailed(p, now);
            assertThat(h.up()).isFalse();
            assertThat(h.recoverAtNanos() - now).isEqualTo(w * S);
        }
        h.connectSucceeded();
        h.recordConnectFailure();
        h.connectFailed(p, now);
        assertThat(h.recoverAtNanos() - now).as("a success resets the streak").isEqualTo(S);
    }

    @Test
    void aSupersededBackoffTimerDoesNotReviveTheMember() {
        HealthPolicy p = policy(false, Duration.ZERO, Duration.ZERO);
        MemberHealth h = new MemberHealth();
        h.recordConnectFailure();
        int first = h.connectFailed(p, 0);
        h.recordConnectFailure();
        int second = h.connectFailed(p, S / 2);
        assertThat(h.backoffEnded(p, first, S)).isEqualTo(Transition.NONE);
        assertThat(h.up()).isFalse();
        assertThat(h.backoffEnded(p, second, 3 * S)).isEqualTo(Transition.UP);
        assertThat(h.up()).isTrue();
        assertThat(h.backoffEnded(p, second, 4 * S)).as("fires once").isEqualTo(Transition.NONE);
    }

    @Test
    void withActiveChecksAPassivelyMarkedMemberNeedsRisePassingChecks() {
        HealthPolicy p = policy(true, Duration.ZERO, Duration.ZERO);
        MemberHealth h = new MemberHealth();
        h.recordConnectFailure();
        int gen = h.connectFailed(p, 0);
        assertThat(h.recoverAtNanos()).isZero();
        assertThat(h.backoffEnded(p, gen, 60 * S)).isEqualTo(Transition.NONE);
        assertThat(h.checkResult(p, true, S)).isEqualTo(Transition.NONE);
        assertThat(h.checkResult(p, true, 2 * S)).isEqualTo(Transition.UP);
        assertThat(h.connectStreak()).isZero();
    }

    @Test
    void riseAndFallCountOnlyResultsInARow() {
        HealthPolicy p = policy(true, Duration.ZERO, Duration.ZERO);
        MemberHealth h = new MemberHealth();
        assertThat(h.checkResult(p, false, 0)).isEqualTo(Transition.NONE);
        assertThat(h.checkResult(p, false, 0)).isEqualTo(Transition.NONE);
        assertThat(h.checkResult(p, true, 0)).isEqualTo(Transition.NONE); // breaks the run of failures
        assertThat(h.checkResult(p, false, 0)).isEqualTo(Transition.NONE);
        assertThat(h.checkResult(p, false, 0)).isEqualTo(Transition.NONE);
        assertThat(h.checkResult(p, false, 0)).isEqualTo(Transition.DOWN);
        assertThat(h.checkResult(p, true, 0)).isEqualTo(Transition.NONE);
        assertThat(h.checkResult(p, false, 0)).isEqualTo(Transition.NONE);
        assertThat(h.checkResult(p, true, 0)).isEqualTo(Transition.NONE);
        assertThat(h.checkResult(p, true, 0)).isEqualTo(Transition.UP);
    }

    @Test
    void slowStartAdmitsAGrowingStableShareOfKeys() {
        HealthPolicy p = policy(false, Duration.ofSeconds(10), Duration.ZERO);
        long period = 10 * S;
        MemberHealth h = new MemberHealth();
        h.forceDown();
        long begin = 50 * S;
        assertThat(h.forceUp(p, begin)).isEqualTo(Transition.UP);
        long[] keys = new SplittableRandom(1).longs(20_000).toArray();
        boolean[] admittedBefore = new boolean[keys.length];
        for (int step = 0; step <= 10; step++) {
            long now = begin + step * S;
            int admitted = 0;
            for (int i = 0; i < keys.length; i++) {
                boolean a = h.admits(keys[i], now, period);
                assertThat(!admittedBefore[i] || a).as("key %d admitted at step %d stays admitted", i, step).isTrue();
                admittedBefore[i] = a;
                admitted += a ? 1 : 0;
            }
            assertThat(admitted / (double) keys.length).isBetween(step / 10.0 - 0.02, step / 10.0 + 0.02);
        }
        assertThat(h.inSlowStart(begin + period, period)).isFalse();
    }

    @Test
    void maintenanceSilencesChecksAndLeavingItStartsSlowStart() {
        HealthPolicy p = policy(true, Duration.ofSeconds(10), Duration.ZERO);
        MemberHealth h = new MemberHealth();
        for (int i = 0; i < 3; i++) {
            h.checkResult(p, false, 0);
        }
        assertThat(h.up()).isFalse();
        assertThat(h.maintenance(p, true, S)).as("a DOWN member put in MAINT stops counting as down").isEqualTo(Transition.UP);
        for (int i = 0; i < 5; i++) {
            assertThat(h.checkResult(p, false, 2 * S)).isEqualTo(Transition.NONE);
        }
        assertThat(h.up()).isTrue();
        assertThat(h.maintenance(p, false, 3 * S)).isEqualTo(Transition.NONE);
        assertThat(h.inSlowStart(3 * S + 1, 10 * S)).isTrue();
        assertThat(h.inSlowStart(13 * S, 10 * S)).isFalse();
    }

    @Test
    void aDrainHasOneDeadlineUntilItEnds() {
        HealthPolicy p = policy(false, Duration.ZERO, Duration.ofMinutes(5));
        MemberHealth h = new MemberHealth();
        assertThat(h.draining(p, true, 10 * S)).isTrue();
        assertThat(h.drainDeadlineNanos()).isEqualTo(310 * S);
        assertThat(h.draining(p, true, 20 * S)).as("a repeated DRAINING view keeps the first deadline").isFalse();
        assertThat(h.drainDeadlineNanos()).isEqualTo(310 * S);
        assertThat(h.draining(p, false, 30 * S)).isFalse();
        assertThat(h.drainDeadlineNanos()).isZero();
        HealthPolicy forever = policy(false, Duration.ZERO, Duration.ZERO);
        assertThat(h.draining(forever, true, 40 * S)).isFalse();
        assertThat(h.drainDeadlineNanos()).isZero();
    }
}
