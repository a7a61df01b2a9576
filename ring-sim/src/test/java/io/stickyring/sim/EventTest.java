package io.stickyring.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stickyring.sim.scenario.Cluster;
import io.stickyring.sim.scenario.Event;
import io.stickyring.sim.scenario.Scenario;
import io.stickyring.sim.scenario.Step;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventTest {

    private static List<Scenario.Expanded> expand(int n, String... events) {
        return new Scenario(Cluster.uniform(n), List.of(events).stream().map(Event::parse).toList(), 9).expand();
    }

    @Test
    void failAddDrainWeight() {
        List<Scenario.Expanded> x = expand(5, "fail:m001,m003", "add:2:weight=3", "drain:m000", "weight:m002=4");
        Step fail = x.get(0).steps().get(0);
        assertThat(fail.after().ids()).containsExactly("m000", "m002", "m004");
        assertThat(fail.failed()).containsExactlyInAnyOrder("m001", "m003");
        Step add = x.get(1).steps().get(0);
        // Fresh ids never reuse a failed member's id.
        assertThat(add.after().ids()).contains("m005", "m006").doesNotContain("m001");
        assertThat(add.after().get("m005").weight()).isEqualTo(3);
        Step drain = x.get(2).steps().get(0);
        assertThat(drain.after().ringNodes()).extracting(n -> n.id()).doesNotContain("m000");
        assertThat(drain.drained()).containsExactly("m000");
        assertThat(x.get(3).steps().get(0).after().get("m002").weight()).isEqualTo(4);
    }

    @Test
    void zoneEventsSelectEveryRingMemberOfTheZone() {
        List<Scenario.Expanded> x = new Scenario(Cluster.uniform(9, 3), List.of(Event.parse("drain:zone=z1"),
                Event.parse("add:2:zone=z1"), Event.parse("fail:zone=z1")), 1).expand();
        Step drain = x.get(0).steps().get(0);
        assertThat(drain.drained()).containsExactlyInAnyOrder("m001", "m004", "m007");
        assertThat(drain.after().ringNodes()).hasSize(6);
        Step add = x.get(1).steps().get(0);
        assertThat(add.after().get("m009").zone()).isEqualTo("z1");
        // Drained z1 members are out of the ring, so failing z1 takes only the two new ones.
        assertThat(x.get(2).steps().get(0).failed()).containsExactlyInAnyOrder("m009", "m010");
        assertThatThrownBy(() -> new Scenario(Cluster.uniform(4, 2), List.of(Event.parse("fail:zone=z9")), 1).expand())
                .hasMessageContaining("no ring member in zone 'z9'");
        assertThatThrownBy(() -> new Scenario(Cluster.uniform(4, 1), List.of(Event.parse("drain:zone=z0")), 1).expand())
                .hasMessageContaining("holds every ring member");
    }

    @Test
    void randomVictimsAreSeeded() {
        assertThat(expand(20, "fail:3").get(0).steps().get(0).failed())
                .isEqualTo(expand(20, "fail:3").get(0).steps().get(0).failed()).hasSize(3);
    }

    @Test
    void restartScaleFlapExpandToSteps() {
        List<Scenario.Expanded> x = expand(4, "restart", "scale:9:step=2", "scale:5", "flap:m002:times=3");
        assertThat(x.get(0).steps()).hasSize(8);
        assertThat(x.get(0).steps().get(7).after()).isEqualTo(Cluster.uniform(4));
        assertThat(x.get(1).steps()).extracting(s -> s.after().ringNodes().size()).containsExactly(6, 8, 9);
        assertThat(x.get(2).steps()).extracting(s -> s.after().ringNodes().size()).containsExactly(8, 7, 6, 5);
        // Scale-in removes the newest members first.
        assertThat(x.get(2).steps().get(0).drained()).containsExactly("m008");
        assertThat(x.get(3).steps()).hasSize(6);
        assertThat(x.get(3).steps().get(0).failed()).containsExactly("m002");
    }

    @Test
    void badEventsAreRejectedNamingTheValue() {
        assertThatThrownBy(() -> Event.parse("explode:1")).hasMessageContaining("unknown event 'explode'");
        assertThatThrownBy(() -> Event.parse("fail:0")).hasMessageContaining("count (0) must be >= 1");
        assertThatThrownBy(() -> Event.parse("add")).hasMessageContaining("needs an argument");
        assertThatThrownBy(() -> Event.parse("weight:m1")).hasMessageContaining("'m1' is not ID=WEIGHT");
        assertThatThrownBy(() -> Event.parse("scale:x")).hasMessageContaining("scale:x");
        assertThatThrownBy(() -> expand(3, "fail:m009")).hasMessageContaining("member 'm009' is not in the ring");
        assertThatThrownBy(() -> expand(3, "fail:3")).hasMessageContaining("must leave at least one");
    }
}
