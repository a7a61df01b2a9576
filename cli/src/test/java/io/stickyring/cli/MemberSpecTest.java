package io.stickyring.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MemberSpecTest {

    @Test
    void parsesIdAddressAndWeight() {
        assertThat(MemberSpec.parse("--backend", "n1=127.0.0.1:9001")).isEqualTo(new MemberSpec("n1", new HostPort("127.0.0.1", 9001), 1));
        assertThat(MemberSpec.parse("--backend", "n2=[::1]:9002/3")).isEqualTo(new MemberSpec("n2", new HostPort("::1", 9002), 3));
        assertThat(MemberSpec.parse("--backend", "n2=[::1]:9002/3").toString()).isEqualTo("n2=[::1]:9002/3");
    }

    @Test
    void theOldAtWeightIsRefusedNamingTheNewForm() {
        assertThatThrownBy(() -> MemberSpec.parse("--add", "m9=10.0.0.9:9001@2"))
                .hasMessage("--add (m9=10.0.0.9:9001@2): '@WEIGHT' is no longer accepted; write ID=HOST:PORT[/WEIGHT], e.g. m9=10.0.0.9:9001/2");
    }

    @Test
    void everyErrorNamesTheFlagAndTheValue() {
        assertThatThrownBy(() -> MemberSpec.parse("--backend", "127.0.0.1:9001")).hasMessage("--backend (127.0.0.1:9001): must be ID=HOST:PORT[/WEIGHT]");
        assertThatThrownBy(() -> MemberSpec.parse("--backend", "a=")).hasMessageStartingWith("--backend (a=): must be");
        assertThatThrownBy(() -> MemberSpec.parse("--backend", "a=h")).hasMessage("--backend (a=h): must be HOST:PORT or [IPv6]:PORT (ID=HOST:PORT[/WEIGHT])");
        assertThatThrownBy(() -> MemberSpec.parse("--backend", "a=h:0")).hasMessageContaining("port (0) must be in 1..65535");
        assertThatThrownBy(() -> MemberSpec.parse("--backend", "a=::1:80")).hasMessageContaining("brackets");
        assertThatThrownBy(() -> MemberSpec.parse("--backend", "a=h:1/x")).hasMessage("--backend (a=h:1/x): weight (x) must be an integer >= 1");
        assertThatThrownBy(() -> MemberSpec.parse("--backend", "a=h:1/0")).hasMessageContaining("weight (0)");
    }
}
