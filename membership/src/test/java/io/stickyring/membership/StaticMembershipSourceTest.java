package io.stickyring.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class StaticMembershipSourceTest {

    @Test
    void rejectsDuplicateIds() {
        assertThatThrownBy(() -> new StaticMembershipSource(List.of(Member.of("a", "h", 1), Member.of("a", "h", 2))))
                .hasMessageContaining("duplicate member id 'a'");
    }

    @Test
    void publishesNothingBeforeStartThenVersionOneToEveryListener() {
        StaticMembershipSource source = new StaticMembershipSource(List.of(Member.of("b", "h", 2), Member.of("a", "h", 1)));
        List<MembershipView> early = new CopyOnWriteArrayList<>();
        source.addListener(early::add);
        assertThat(source.current()).isEmpty();
        assertThat(early).isEmpty();

        source.start();
        List<MembershipView> late = new CopyOnWriteArrayList<>();
        source.addListener(late::add);

        assertThat(early).hasSize(1);
        assertThat(late).isEqualTo(early);
        MembershipView view = early.get(0);
        assertThat(view.version()).isEqualTo(1);
        assertThat(view.stale()).isFalse();
        assertThat(view.members()).extracting(Member::id).containsExactly("a", "b");
        assertThat(source.badPayloads()).isZero();
        assertThat(source.badMembers()).isEmpty();
        assertThatThrownBy(source::start).isInstanceOf(IllegalStateException.class);
        source.close();
    }

    @Test
    void drainIsALocalStateChangeWithANewVersion() {
        StaticMembershipSource source = new StaticMembershipSource(List.of(Member.of("a", "h", 1), Member.of("b", "h", 2)));
        List<MembershipView> views = new CopyOnWriteArrayList<>();
        source.addListener(views::add);
        source.start();

        Member drained = source.drain("a");

        assertThat(drained.state()).isEqualTo(MemberState.DRAINING);
        assertThat(views).hasSize(2);
        assertThat(views.get(1).version()).isEqualTo(2);
        assertThat(views.get(1).member("a").orElseThrow().state()).isEqualTo(MemberState.DRAINING);
        assertThat(views.get(1).member("b").orElseThrow().state()).isEqualTo(MemberState.ACTIVE);
        source.drain("a");
        assertThat(views).hasSize(2);
        assertThatThrownBy(() -> source.drain("zz")).isInstanceOf(NoSuchMemberException.class).hasMessageContaining("'zz'");
        source.close();
    }

    @Test
    void aReplacedListKeepsRuntimeChangesOfUnchangedLines() {
        Member a = Member.of("a", "h", 1);
        Member b = Member.of("b", "h", 2);
        StaticMembershipSource source = new StaticMembershipSource(List.of(a, b));
        List<MembershipView> views = new CopyOnWriteArrayList<>();
        source.addListener(views::add);
        source.start();
        source.setWeight("a", 4);
        source.setState("b", MemberState.MAINT);
        assertThatThrownBy(() -> source.setWeight("a", 0)).hasMessageContaining("weight (0)");

        source.replace(List.of(a, b));
        assertThat(views).as("same lines: nothing to publish").hasSize(3);

        Member bMoved = Member.of("b", "h", 22);
        Member c = Member.of("c", "h", 3);
        source.replace(List.of(a, bMoved, c));
        MembershipView v = views.get(views.size() - 1);
        assertThat(v.version()).isEqualTo(4);
        assertThat(v.member("a").orElseThrow().weight()).as("unchanged line keeps its runtime weight").isEqualTo(4);
        assertThat(v.member("b").orElseThrow()).as("changed line: new address, runtime state kept")
                .isEqualTo(bMoved.withState(MemberState.MAINT));
        assertThat(v.member("c")).contains(c);

        source.replace(List.of(c));
        assertThat(views.get(views.size() - 1).members()).containsExactly(c);
        source.close();
    }
}
