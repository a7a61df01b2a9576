package io.stickyring.lb.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The member address handed to every connect: resolved once, host text kept. */
class MemberRuntimeTest {

    @Test
    void literalAddressKeepsItsHostTextSoConnectsShareOneString() {
        InetSocketAddress a = MemberRuntime.connectAddress("127.0.0.1", 9001);
        // Netty's computeRemoteAddr calls getHostString() per connect; without the kept text each call
        // formats a new String that the member channel keeps
        assertThat(a.getHostString()).isEqualTo("127.0.0.1").isSameAs(a.getHostString());
        assertThat(a.isUnresolved()).isFalse();
        assertThat(a).isEqualTo(new InetSocketAddress("127.0.0.1", 9001));
    }

    @Test
    void ipv6LiteralAndUnresolvableNames() {
        InetSocketAddress v6 = MemberRuntime.connectAddress("::1", 9001);
        assertThat(v6.getHostString()).isSameAs(v6.getHostString());
        assertThat(v6).isEqualTo(new InetSocketAddress("::1", 9001));
        assertThat(MemberRuntime.connectAddress("no-such-host.invalid", 9001).isUnresolved()).isTrue();
    }
}
