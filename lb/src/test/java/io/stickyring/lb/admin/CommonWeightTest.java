package io.stickyring.lb.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.MembershipView;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code /whatif?add=ID=HOST:PORT} without a weight predicts a join with the weight most members have. */
class CommonWeightTest {
    private static Member m(String id, int weight) {
        return new Member(id, "127.0.0.1", 9000, weight, MemberState.ACTIVE, "", 0L, "");
    }

    @Test
    void mostCommonWeightWinsAndTiesTakeTheSmaller() {
        assertThat(AdminHandler.commonWeight(null)).isEqualTo(1);
        assertThat(AdminHandler.commonWeight(MembershipView.of(1, List.of()))).isEqualTo(1);
        assertThat(AdminHandler.commonWeight(MembershipView.of(1, List.of(m("a", 100), m("b", 100), m("c", 3))))).isEqualTo(100);
        assertThat(AdminHandler.commonWeight(MembershipView.of(1, List.of(m("a", 5), m("b", 2))))).isEqualTo(2);
    }
}
