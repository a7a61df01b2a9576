package io.stickyring.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stickyring.membership.zk.ZkSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class ZkOptionsTest {

    @Command(name = "t")
    static final class Cmd {
        @Mixin
        ZkOptions zk;
    }

    private static ZkOptions parse(String... args) {
        Cmd cmd = new Cmd();
        new CommandLine(cmd).parseArgs(args);
        return cmd.zk;
    }

    @Test
    void defaultsWhenNothingIsSet() {
        ZkSettings s = parse().toSettings("h:1", "c", k -> null);
        assertThat(s).isEqualTo(ZkSettings.of("h:1", "c"));
    }

    @Test
    void flagsOverrideDefaultsAndTheEnvironmentGivesAuth() {
        ZkSettings s = parse("--zk-session-timeout", "2500ms", "--zk-retry-max-sleep", "1m", "--zk-retry-max-attempts", "3")
                .toSettings("h:1/x", "c", k -> "env:pw");
        assertThat(s.sessionTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(s.retryMaxSleep()).isEqualTo(Duration.ofMinutes(1));
        assertThat(s.retryBaseSleep()).isEqualTo(ZkSettings.DEFAULT_RETRY_BASE_SLEEP);
        assertThat(s.retryMaxAttempts()).isEqualTo(3);
        assertThat(s.digestAuth()).isEqualTo("env:pw");
        assertThat(parse("--zk-auth", "flag:pw").toSettings("h:1", "c", k -> "env:pw").digestAuth()).isEqualTo("flag:pw");
    }

    @Test
    void badValuesAreNamed() {
        assertThatThrownBy(() -> parse("--zk-session-timeout", "10x").toSettings("h:1", "c", k -> null))
                .hasMessageContaining("--zk-session-timeout: '10x' is not a duration");
        // A bare number of milliseconds was accepted here until the grammar was unified: now named and refused.
        assertThatThrownBy(() -> parse("--zk-connection-timeout", "700").toSettings("h:1", "c", k -> null))
                .hasMessageContaining("--zk-connection-timeout: '700' needs a unit, e.g. 700ms");
        assertThatThrownBy(() -> parse("--zk-session-timeout", "20m").toSettings("h:1", "c", k -> null))
                .hasMessageContaining("sessionTimeout (1200000 ms) must be <= 600000 ms");
    }

    /** The connect string's hosts use the one HOST:PORT grammar of every flag, named as --zk. */
    @Test
    void connectStringUsesTheOneAddressGrammar() {
        assertThat(parse().toSettings("a:1,[::1]:2181/apps/chat", "c", k -> null).hosts()).isEqualTo("a:1,[::1]:2181");
        assertThatThrownBy(() -> parse().toSettings("host", "c", k -> null))
                .hasMessageStartingWith("--zk (host): entry 'host': must be HOST:PORT or [IPv6]:PORT");
        assertThatThrownBy(() -> parse().toSettings("h:1,,h:2", "c", k -> null)).hasMessageContaining("--zk (h:1,,h:2): entry ''");
        assertThatThrownBy(() -> parse().toSettings("h:99999", "c", k -> null))
                .hasMessageContaining("--zk (h:99999): entry 'h:99999': port (99999) must be in 1..65535");
        assertThatThrownBy(() -> parse().toSettings("h:0", "c", k -> null)).hasMessageContaining("port (0) must be in 1..65535");
        // Before the grammar moved here, ZkSettings' own pattern let a bare IPv6 literal through.
        assertThatThrownBy(() -> parse().toSettings("::1:2181", "c", k -> null))
                .hasMessageContaining("--zk (::1:2181): entry '::1:2181': write an IPv6 host in brackets, e.g. [::1]:2181");
        assertThatThrownBy(() -> parse().toSettings("h:1/a//b", "c", k -> null)).hasMessageContaining("chroot '/a//b'");
    }
}
