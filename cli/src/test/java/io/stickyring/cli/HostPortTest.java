package io.stickyring.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostPortTest {

    @Test
    void parsesV4NamesAndBracketedV6() {
        assertThat(HostPort.parse("--listen", "127.0.0.1:8080")).isEqualTo(new HostPort("127.0.0.1", 8080));
        assertThat(HostPort.parse("--listen", "lb.internal:0")).isEqualTo(new HostPort("lb.internal", 0));
        assertThat(HostPort.parse("--listen", "[::1]:9001")).isEqualTo(new HostPort("::1", 9001));
        assertThat(HostPort.parse("--listen", "[::]:80").toString()).isEqualTo("[::]:80");
        assertThat(HostPort.parse("--listen", " 10.0.0.1:65535 ").port()).isEqualTo(65535);
    }

    @Test
    void everyErrorNamesTheFlagAndTheValue() {
        assertThatThrownBy(() -> HostPort.parse("--listen", "nohost")).hasMessage("--listen (nohost): must be HOST:PORT or [IPv6]:PORT");
        assertThatThrownBy(() -> HostPort.parse("--admin", ":80")).hasMessageStartingWith("--admin (:80): must be");
        assertThatThrownBy(() -> HostPort.parse("--admin", "h:")).hasMessageStartingWith("--admin (h:): must be");
        assertThatThrownBy(() -> HostPort.parse("--listen", "::1:80")).hasMessage("--listen (::1:80): write an IPv6 host in brackets, e.g. [::1]:80");
        assertThatThrownBy(() -> HostPort.parse("--listen", "[]:80")).hasMessageStartingWith("--listen ([]:80): must be");
        assertThatThrownBy(() -> HostPort.parse("--listen", "h:70000")).hasMessage("--listen (h:70000): port (70000) must be in 0..65535");
        assertThatThrownBy(() -> HostPort.parse("--listen", "h:-1")).hasMessage("--listen (h:-1): port (-1) must be in 0..65535");
        assertThatThrownBy(() -> HostPort.parse("--listen", "h:x")).hasMessage("--listen (h:x): port (x) must be in 0..65535");
        assertThatThrownBy(() -> HostPort.parse("--listen", "h:99999999999")).hasMessageContaining("port (99999999999)");
        assertThatThrownBy(() -> HostPort.parseConnectable("--advertise", "h:0")).hasMessage("--advertise (h:0): port (0) must be in 1..65535");
        assertThatThrownBy(() -> HostPort.parse("--listen", null)).hasMessageStartingWith("--listen (null): must be");
    }

    @Test
    void toStringReadsBack() {
        for (String s : new String[] {"127.0.0.1:1", "[fe80::1]:443", "example.org:8080"}) {
            assertThat(HostPort.parse("x", s).toString()).isEqualTo(s);
        }
    }
}
