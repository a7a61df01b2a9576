package io.stickyring.lb;

import static io.stickyring.lb.support.TestClient.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.lb.support.ChildLb;
import io.stickyring.lb.support.EchoBackend;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.lb.support.TestClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Config reload (SIGHUP): what can change live changes, nothing is closed, the rest is refused by name. */
@Timeout(120)
class ReloadTest {

    @TempDir
    Path dir;
    private final LbHarness h = new LbHarness();
    private ChildLb child;

    @AfterEach
    void stop() throws Exception {
        if (child != null) {
            child.close();
        }
        h.close();
    }

    private static String yaml(String... backends) {
        return "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\naccept-threads: 1\nio-threads: 1\nbackend: [" + String.join(", ", backends) + "]\n";
    }

    private static String spec(EchoBackend b) {
        return b.id() + "=127.0.0.1:" + b.port();
    }

    @Test
    void sighupToAChildLbAddsABackendWhileLiveConnectionsStayOpen() throws Exception {
        EchoBackend r1 = h.backend("r1", false);
        EchoBackend r2 = h.backend("r2", false);
        Path f = dir.resolve("lb.yaml");
        Files.writeString(f, yaml(spec(r1)));
        child = ChildLb.start(false, "--config", f.toString());
        LinkedBlockingQueue<String> lines = (LinkedBlockingQueue<String>) child.next;
        String started = lines.poll(60, TimeUnit.SECONDS);
        assertThat(started).as("start line").isNotNull();
        Matcher m = Pattern.compile("proxy on 127\\.0\\.0\\.1:(\\d+) .*admin on http://127\\.0\\.0\\.1:(\\d+)/").matcher(started);
        assertThat(m.find()).as(started).isTrue();
        InetSocketAddress proxy = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));
        int admin = Integer.parseInt(m.group(2));

        List<TestClient> live = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                live.add(new TestClient(ip(i), proxy));
                assertThat(live.get(i).member()).isEqualTo("r1");
            }
            Files.writeString(f, yaml(spec(r1), spec(r2)) + "drain-timeout: 1m\n");
            Process hup = new ProcessBuilder("kill", "-HUP", String.valueOf(child.process.pid())).start();
            assertThat(hup.waitFor(10, TimeUnit.SECONDS) && hup.exitValue() == 0).isTrue();
            String reloaded = lines.poll(30, TimeUnit.SECONDS);
            assertThat(reloaded).isEqualTo("stickyring lb: reloaded " + f + ": backend, drain-timeout");

            HttpClient http = HttpClient.newHttpClient();
            String members = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/members")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(members).contains("\"r2\"");
            for (int i = 0; i < live.size(); i++) {
                assertThat(live.get(i).echo("after reload " + i)).as("connection %d survives the reload", i).isEqualTo("after reload " + i);
            }
            boolean someOnR2 = false;
            for (int i = 100; i < 160 && !someOnR2; i++) {
                try (TestClient c = new TestClient(ip(i), proxy)) {
                    someOnR2 = "r2".equals(c.member());
                }
            }
            assertThat(someOnR2).as("the reloaded backend takes new connections").isTrue();
            assertThat(child.process.isAlive()).isTrue();
        } finally {
            for (TestClient c : live) {
                c.close();
            }
        }
    }

    @Test
    void aReloadThatNeedsARestartIsRefusedByNameAndChangesNothing() throws Exception {
        EchoBackend s1 = h.backend("s1", false);
        Path f = dir.resolve("lb.yaml");
        Files.writeString(f, yaml(spec(s1)) + "max-connections-per-member: 0\n");
        LbCommand cmd = new LbCommand();
        CommandLine cl = new CommandLine(cmd);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.parseArgs("--config", f.toString(), "--slow-start", "0");
        LbCommand.Launched l = cmd.launch();
        assertThat(l.exitCode()).isZero();
        LoadBalancer lb = l.lb();
        h.lbs.add(lb);
        try (TestClient c = new TestClient(ip(1), lb.proxyAddress())) {
            Files.writeString(f, yaml(spec(s1)).replace("listen: 127.0.0.1:0", "listen: 127.0.0.1:1")
                    + "max-connections-per-member: 1\nio-threads: 2\n");
            assertThat(cmd.reload(lb)).isEmpty();
            assertThat(err.toString()).contains("reload refused, running config kept: listen, io-threads cannot change on reload");
            assertThat(lb.router().config().maxConnectionsPerMember()).isZero();

            Files.writeString(f, yaml(spec(s1)) + "max-connections-per-member: 1\nslow-start: 5m\n");
            // the command-line --slow-start 0 still wins over the file
            assertThat(cmd.reload(lb)).containsExactly("max-connections-per-member");
            assertThat(lb.router().config().maxConnectionsPerMember()).isEqualTo(1);
            assertThat(c.echo("kept")).isEqualTo("kept");
            try (TestClient second = new TestClient(ip(2), lb.proxyAddress())) {
                assertThat(second.member()).as("s1 is full under the reloaded limit").isNull();
            }
        }
    }

    @Test
    void withoutAConfigFileAReloadOnlySaysSo() throws Exception {
        EchoBackend s1 = h.backend("s1", false);
        LbCommand cmd = new LbCommand();
        CommandLine cl = new CommandLine(cmd);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.parseArgs("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--backend", spec(s1));
        LbCommand.Launched l = cmd.launch();
        h.lbs.add(l.lb());
        assertThat(cmd.reload(l.lb())).isEmpty();
        assertThat(err.toString()).contains("reload ignored: started without --config");
    }
}
