package io.stickyring.chat.bus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The presence directory: add/remove/replace per node, and silent nodes expire with all their users. */
class NodeDirectoryTest {
    private final NodeDirectory d = new NodeDirectory();

    @Test
    void tracksUsersPerNode() {
        d.add("B", List.of("bob", "carol"), 0);
        d.add("C", List.of("bob"), 0);
        assertThat(d.nodesOf("bob")).containsExactlyInAnyOrder("B", "C");
        d.remove("C", List.of("bob"), 1);
        assertThat(d.nodesOf("bob")).containsExactly("B");
        d.replace("B", List.of("carol", "dave"), 2);
        assertThat(d.nodesOf("bob")).isEmpty();
        assertThat(d.nodesOf("dave")).containsExactly("B");
        assertThat(d.usersOf("B")).isEqualTo(2);
        assertThat(d.usersOf("X")).isEqualTo(-1);
        d.drop("B");
        assertThat(d.nodesOf("carol")).isEmpty();
    }

    @Test
    void silentNodesExpire() {
        d.add("B", List.of("bob"), 100);
        d.add("C", List.of("carol"), 200);
        d.heard("B", 300);
        assertThat(d.expire(250)).isEqualTo(1);
        assertThat(d.nodesOf("carol")).isEmpty();
        assertThat(d.nodesOf("bob")).containsExactly("B");
        assertThat(d.nodes()).isEqualTo(1);
        d.clear();
        assertThat(d.nodesOf("bob")).isEmpty();
    }
}
