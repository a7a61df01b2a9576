package io.stickyring.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.sim.report.TextTable;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextTableTest {

    @Test
    void numbersRightTextAndAddressesLeft() {
        String t = new TextTable(List.of("name", "value")).row(List.of("a", "1.5%")).row(List.of("bbbb", "10.25%"))
                .row(List.of("10.0.0.1", "12 ms")).rule().row(List.of("2001:db8::1", "-")).render();
        List<String> lines = t.lines().toList();
        assertThat(lines.get(0)).isEqualTo("name         value");
        assertThat(lines.get(1)).isEqualTo("-----------  ------");
        assertThat(lines.get(2)).isEqualTo("a              1.5%");
        assertThat(lines.get(3)).isEqualTo("bbbb         10.25%");
        assertThat(lines.get(4)).isEqualTo("10.0.0.1      12 ms");
        assertThat(lines.get(5)).isEqualTo("-----------  ------");
        assertThat(lines.get(6)).isEqualTo("2001:db8::1       -");
    }
}
