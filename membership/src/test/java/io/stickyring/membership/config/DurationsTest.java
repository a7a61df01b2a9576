package io.stickyring.membership.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
    @Test
    void parsesUnitsAndBareMillis() {
        assertThat(Durations.parse("x", "250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("x", "10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Durations.parse("x", " 2M ")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Durations.parse("x", "1500")).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void refusalNamesTheSettingAndTheText() {
        assertThatThrownBy(() -> Durations.parse("connectTimeout", "soon"))
                .hasMessageContaining("connectTimeout (soon)");
        assertThatThrownBy(() -> Durations.parse("x", "-1s")).hasMessageContaining("(-1s)");
        assertThatThrownBy(() -> Durations.parse("x", "1h")).hasMessageContaining("(1h)");
    }
}
