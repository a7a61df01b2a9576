package io.stickyring.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stickyring.cli.HostPort;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.lb.support.TestClient;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Several --listen addresses: IPv4 and IPv6 loopback and a second port, one router behind them all. */
@Timeout(60)
class MultiListenTest {

    @TempDir
    Path dir;
    private final LbHarness h = new LbHarness();

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void everyListenAddressProxiesToTheSameMembers() throws Exception {
        h.backend("m1", false);
        h.backend("m2", false);
        LoadBalancer lb = h.start(b -> b.extraListens = List.of(new HostPort("::1", 0), new HostPort("127.0.0.2", 0)));
        List<InetSocketAddress> addrs = lb.proxyAddresses();
        assertThat(addrs).hasSize(3);
        assertThat(addrs.get(1).getAddress().getHostAddress()).isIn("0:0:0:0:0:0:0:1", "::1");
        assertThat(addrs.get(2).getAddress().getHostAddress()).isEqualTo("127.0.0.2");
        String v4 = null;
        for (InetSocketAddress a : List.of(addrs.get(0), addrs.get(2))) {
            try (TestClient c = new TestClient("127.0.0.9", a)) {
                assertThat(c.member()).isIn("m1", "m2");
                assertThat(c.echo("hi")).isEqualTo("hi");
                // the same client IP is routed identically whichever address it came in through
                v4 = v4 == null ? c.member() : v4;
                assertThat(c.member()).isEqualTo(v4);
            }
        }
        try (TestClient c = new TestClient("::1", addrs.get(1))) {
            assertThat(c.member()).isIn("m1", "m2");
            assertThat(c.echo("v6")).isEqualTo("v6");
        }
    }

    private LbConfig parse(String... args) {
        LbCommand cmd = new LbCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.resolve().toConfig();
    }

    @Test
    void listenRepeatsOnTheCommandLineAndAsAYamlListAndTheCommandLineReplacesTheFile() throws Exception {
        LbConfig c = parse("--listen", "127.0.0.1:8080", "--listen", "[::1]:8080", "--backend", "a=127.0.0.1:9001");
        assertThat(c.listens()).containsExactly(new HostPort("127.0.0.1", 8080), new HostPort("::1", 8080));
        Path f = dir.resolve("lb.yaml");
        Files.writeString(f, "listen: [127.0.0.1:7001, 127.0.0.1:7002]\nbackend: [a=127.0.0.1:9001]\n");
        assertThat(parse("--config", f.toString()).listens()).extracting(HostPort::port).containsExactly(7001, 7002);
        assertThat(parse("--config", f.toString(), "--listen", "127.0.0.1:7003").listens())
                .containsExactly(new HostPort("127.0.0.1", 7003));
        assertThatThrownBy(() -> parse("--listen", "127.0.0.1:8080", "--listen", "127.0.0.1:8080", "--backend", "a=127.0.0.1:9001"))
                .hasMessage("listen (127.0.0.1:8080) is given twice");
        assertThatThrownBy(() -> parse("--listen", "127.0.0.1:9090", "--admin", "127.0.0.1:9090", "--backend", "a=127.0.0.1:9001"))
                .hasMessageContaining("listen (127.0.0.1:9090) is also the admin address");
    }
}
