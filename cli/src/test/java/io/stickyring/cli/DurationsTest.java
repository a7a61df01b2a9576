package io.stickyring.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationsTest {

    @Test
    void everyDocumentedFormParses() {
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("2s")).isEqualTo(Duration.ofSeconds(2));
        assertThat(Durations.parse(" 5M ")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("1h2m3s4ms")).isEqualTo(Duration.ofMillis(3_723_004));
        assertThat(Durations.parse("0")).isEqualTo(Duration.ZERO);
        assertThat(Durations.parse("0s")).isEqualTo(Duration.ZERO);
    }

    @Test
    void oldFormsAreRefusedNamingTheNewOne() {
        // '1500' meant 1.5 s for ZooKeeper flags and was refused by the LB: now refused everywhere, with the fix.
        assertThatThrownBy(() -> Durations.parse("--zk-session-timeout", "1500"))
                .hasMessage("--zk-session-timeout: '1500' needs a unit, e.g. 1500ms or 1500s (durations: 250ms, 2s, 5m, 1h, 1m30s or 0)");
        // ISO-8601 was accepted by the chat node only.
        assertThatThrownBy(() -> Durations.parse("PT10S")).hasMessageContaining("'PT10S' is not a duration (250ms, 2s, 5m, 1h, 1m30s or 0)");
        assertThatThrownBy(() -> Durations.parse("soon")).hasMessageContaining("'soon'");
        assertThatThrownBy(() -> Durations.parse("-1s")).hasMessageContaining("'-1s'");
        assertThatThrownBy(() -> Durations.parse("30s1m")).hasMessageContaining("misorders");
        assertThatThrownBy(() -> Durations.parse("1s1s")).hasMessageContaining("repeats");
        assertThatThrownBy(() -> Durations.parse("")).hasMessageContaining("is not a duration");
    }

    @Test
    void picocliConverterReportsTheSameMessage() {
        assertThatThrownBy(() -> new DurationConverter().convert("10"))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("'10' needs a unit");
        assertThat(new DurationConverter().convert("1h")).isEqualTo(Duration.ofHours(1));
    }

    @Property
    void formatIsTheInverseOfParse(@ForAll @LongRange(min = 0, max = 400L * 3_600_000) long ms) {
        Duration d = Duration.ofMillis(ms);
        assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
    }

    @Test
    void formatPicksWholeUnits() {
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(Durations.format(Duration.ofHours(2))).isEqualTo("2h");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0");
    }
}
