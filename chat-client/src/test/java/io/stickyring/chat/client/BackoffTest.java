package io.stickyring.chat.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void windowDoublesUpToTheCapAndDelaysStayInsideIt() {
        Backoff b = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(10), new SplittableRandom(1));
        long[] ceilings = new long[8];
        for (int i = 0; i < 8; i++) {
            ceilings[i] = b.ceilingMillis();
            long d = b.nextDelayMillis();
            assertThat(d).isBetween(0L, ceilings[i]);
        }
        assertThat(ceilings).containsExactly(250, 500, 1000, 2000, 4000, 8000, 10000, 10000);
        b.reset();
        assertThat(b.ceilingMillis()).isEqualTo(250);
    }

    @Test
    void fullJitterSpreadsOverTheWholeWindow() {
        Backoff b = new Backoff(Duration.ofMillis(1000), Duration.ofMillis(1000), new SplittableRandom(7));
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 2000; i++) {
            long d = b.nextDelayMillis();
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertThat(min).isLessThan(50);
        assertThat(max).isGreaterThan(950);
    }

    @Test
    void hintedDelayIsTheHintPlusAtMostOneBase() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), new SplittableRandom(3));
        for (int i = 0; i < 100; i++) {
            assertThat(b.hintedDelayMillis(2000)).isBetween(2000L, 2100L);
        }
    }

    @Test
    void badSettingsNameTheValue() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), new SplittableRandom()))
                .hasMessageContaining("backoff base (PT0S)");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), new SplittableRandom()))
                .hasMessageContaining("backoff max (PT1S)");
    }
}
