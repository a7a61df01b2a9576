package io.stickyring.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class NodeTest {

    @Test
    void rejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> new Node("a", 0)).hasMessageContaining("weight (0)").hasMessageContaining("'a'");
        assertThatThrownBy(() -> new Node("", 1)).hasMessageContaining("empty");
    }

    @Property(tries = 50)
    void ordersById(@ForAll @IntRange(min = 1, max = 100) int w) {
        assertThat(new Node("a", w).compareTo(new Node("b", 1))).isNegative();
    }
}
