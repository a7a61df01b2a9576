package io.stickyring.lb.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stickyring.lb.LbCommand;
import io.stickyring.lb.support.LbMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code stickyring lb --dataplane ...}: refused values name themselves, a host without nft gets one line. */
@Timeout(60)
class NftCommandTest {

    private static String[] run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new LbCommand());
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new String[] {String.valueOf(code), err.toString().strip()};
    }

    @Test
    void badValuesAreRefusedWithTheValue() {
        String[] r = run("--dataplane", "ebpf", "--backend", "a=10.1.1.2:80");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[1]).contains("dataplane (ebpf) must be proxy or nft");
        r = run("--dataplane", "nft", "--listen", "10.9.9.9:80", "--nft-slots", "0", "--backend", "a=10.1.1.2:80");
        assertThat(r[1]).contains("nft-slots (0) must be in 1..1048576");
        r = run("--dataplane", "nft", "--listen", "0.0.0.0:80", "--backend", "a=10.1.1.2:80");
        assertThat(r[1]).contains("listen address (0.0.0.0) must be the virtual service's IP address");
        r = run("--dataplane", "nft", "--listen", "10.9.9.9:80", "--nft-table", "bad-name", "--backend", "a=10.1.1.2:80");
        assertThat(r[1]).contains("nft-table (bad-name)");
        r = run("--dataplane", "nft", "--listen", "10.9.9.9:80", "--key-mode", "prefix", "--backend", "a=10.1.1.2:80");
        assertThat(r[1]).contains("key-mode (prefix) is not supported with --dataplane nft");
        r = run("--dataplane", "nft", "--listen", "10.9.9.9:80", "--slow-start", "10s", "--backend", "a=10.1.1.2:80");
        assertThat(r[1]).contains("--slow-start");
        r = run("--dataplane", "nft", "--listen", "10.9.9.9:80", "--keep-connections-on-down", "--backend", "a=10.1.1.2:80");
        assertThat(r[1]).contains("--keep-connections-on-down is not supported with --dataplane nft");
        r = run("--dataplane", "nft", "--listen", "10.9.9.9:80", "--nft-counters=bytes", "--backend", "a=10.1.1.2:80");
        assertThat(r[1]).contains("nft-counters (bytes) must be flows, packets or off");
        r = run("--nft-slots", "7", "--backend", "a=10.1.1.2:80");
        assertThat(r[1]).contains("--nft-* options need --dataplane nft");
        r = run("--dataplane", "nft", "--listen", "10.9.9.9:80", "--listen", "10.9.9.10:80", "--backend", "a=10.1.1.2:80");
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[1]).contains("listen is given 2 times: --dataplane nft serves one VIP:PORT per LB");
        r = run("--dataplane", "nft", "--nft-remove");
        assertThat(r[1]).contains("--nft-remove needs --listen VIP:PORT");
    }

    /** Runs the LB in a child JVM behind {@code wrapper}; returns {exit code, all its output}. */
    private static String[] child(List<String> wrapper, String path) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(wrapper);
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), LbMain.class.getName(), "--dataplane=nft",
                "--listen=10.9.9.9:80", "--backend=a=10.1.1.2:80"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (path != null) {
            pb.environment().put("PATH", path);
        }
        Process lb = pb.start();
        String out = new String(lb.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(lb.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String[] {String.valueOf(lb.exitValue()), out};
    }

    @Test
    void aHostWithoutTheNftToolGetsOneClearLineAndExitOne() throws Exception {
        String[] r = child(List.of(), "/nonexistent");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[1].lines()).hasSize(1);
        assertThat(r[1]).startsWith("stickyring lb: --dataplane nft unavailable: the nft command is not available");
    }

    @Test
    void withoutCapNetAdminOneClearLineAndExitOne() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "drops CAP_NET_ADMIN from root's capabilities");
        // setpriv (util-linux): exec the LB without CAP_NET_ADMIN in its bounding and inheritable sets
        String[] r = child(List.of("setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin"), null);
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[1].lines()).hasSize(1);
        assertThat(r[1]).startsWith("stickyring lb: --dataplane nft unavailable: nft cannot read the ruleset"
                + " (needs nf_tables and CAP_NET_ADMIN):");
    }
}
