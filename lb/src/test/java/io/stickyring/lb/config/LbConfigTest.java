package io.stickyring.lb.config;

import io.stickyring.cli.HostPort;
import io.stickyring.cli.Durations;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stickyring.membership.Member;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class LbConfigTest {

    private static LbConfig build(Consumer<LbConfig.Builder> tweak) {
        LbConfig.Builder b = LbConfig.builder().backends(List.of(Member.of("a", "127.0.0.1", 9001)));
        tweak.accept(b);
        return b.build();
    }

    @Test
    void defaultsAreValidAndDocumented() {
        LbConfig c = build(b -> { });
        assertThat(c.algorithm()).isEqualTo("ring");
        assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.connectTries()).isEqualTo(3);
        assertThat(c.maxConnections()).isEqualTo(100_000);
        assertThat(c.admin().isLoopback()).isTrue();
    }

    @Test
    void badValuesAreRefusedWithKeyAndValue() {
        assertThatThrownBy(() -> build(b -> b.connectTries = 0)).hasMessage("connect-tries (0) must be in 1..16");
        assertThatThrownBy(() -> build(b -> b.algorithm = "jump")).hasMessage(
                "algorithm (jump) must be one of ring, maglev, rendezvous, multiprobe, dxhash");
        assertThatThrownBy(() -> build(b -> b.balanceFactor = 0.5)).hasMessageContaining("balance-factor (0.5)");
        assertThatThrownBy(() -> build(b -> b.connectTimeout = Duration.ZERO)).hasMessageContaining("connect-timeout (0) must be > 0");
        assertThatThrownBy(() -> build(b -> b.healthPath = "health")).hasMessageContaining("health-path (health)");
        assertThatThrownBy(() -> build(b -> b.closeLogSample = 2)).hasMessageContaining("close-log-sample (2.0)");
        assertThatThrownBy(() -> build(b -> {
            b.downBackoffMin = Duration.ofSeconds(10);
            b.downBackoffMax = Duration.ofSeconds(1);
        })).hasMessageContaining("down-backoff-max (1s) must be >= down-backoff-min (10s)");
    }

    /** Issue 16: the new algorithms are selectable by name and build as the Router builds them. */
    @Test
    void multiProbeAndDxHashAreSelectable() {
        for (String name : new String[] {"multiprobe", "dxhash"}) {
            LbConfig c = build(b -> b.algorithm = name);
            assertThat(c.algorithm()).isEqualTo(name);
            assertThat(io.stickyring.lb.route.HashFactories.defaults()
                    .build(c.hashConfig(), List.of(io.stickyring.ring.Node.of("a"))).algorithm()).isEqualTo(name);
        }
        // AnchorHash's mapping depends on the order of changes, so LB instances building from
        // snapshots would disagree: refused with the accepted list, like jump.
        assertThatThrownBy(() -> build(b -> b.algorithm = "anchor")).hasMessage(
                "algorithm (anchor) must be one of ring, maglev, rendezvous, multiprobe, dxhash");
    }

    @Test
    void membershipSourceIsExactlyOne() {
        assertThatThrownBy(() -> build(b -> b.backends = List.of())).hasMessageContaining("membership source is required");
        assertThatThrownBy(() -> build(b -> b.zk = "127.0.0.1:2181")).hasMessageContaining("are exclusive");
        assertThat(build(b -> {
            b.backends = List.of();
            b.zk = "127.0.0.1:2181";
        }).usesZooKeeper()).isTrue();
    }

    @Test
    void nonLoopbackAdminRequiresToken() {
        assertThatThrownBy(() -> build(b -> b.admin = new HostPort("0.0.0.0", 9090)))
                .hasMessageContaining("0.0.0.0:9090 is not loopback");
        assertThat(build(b -> {
            b.admin = new HostPort("0.0.0.0", 9090);
            b.adminToken = "t";
        }).adminToken()).isEqualTo("t");
    }

    @Test
    void hostPortsAndDurationsParseOrNameTheBadText() {
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThatThrownBy(() -> Durations.parse("soon")).hasMessageContaining("'soon' is not a duration");
        assertThat(Backends.parse("n1=10.0.0.1:9000/3").weight()).isEqualTo(3);
        assertThatThrownBy(() -> Backends.parse("n1=10.0.0.1")).hasMessage("--backend (n1=10.0.0.1): must be HOST:PORT or [IPv6]:PORT (ID=HOST:PORT[/WEIGHT])");
    }
}
