package io.stickyring.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.epoll.Epoll;
import io.stickyring.lb.support.EchoBackend;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.lb.support.ChildLb;
import io.stickyring.lb.support.TestClient;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A flood that uses up the LB's file descriptors (EMFILE): the LB in a child JVM whose descriptor
 * limit is lowered, with {@code prlimit}, to a few more than it holds once started. The LB must stay
 * up, keep the connections it has, refuse the rest without spinning or flooding its log, and take
 * new clients again once descriptors are free.
 */
@Timeout(120)
class DescriptorExhaustionTest {

    private final LbHarness h = new LbHarness();
    private ChildLb child;

    @AfterEach
    void stop() throws Exception {
        if (child != null) {
            child.close();
        }
        h.close();
    }

    private static String ip(int i) {
        return "127.31." + (i / 250) + "." + (i % 250 + 1);
    }

    @ParameterizedTest(name = "--proxy-engine {0}")
    @ValueSource(strings = {"direct", "channels"})
    void outOfDescriptorsTheLbRefusesQuietlyKeepsItsConnectionsAndRecovers(String engine) throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll only");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/prlimit")), "prlimit (util-linux)");
        EchoBackend b1 = h.backend("b1", false);
        child = ChildLb.start(true, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--io-threads", "1",
                "--proxy-engine", engine, "--backend", "b1=127.0.0.1:" + b1.port());
        List<String> lines = child.all;
        Pattern started = Pattern.compile("proxy on 127\\.0\\.0\\.1:(\\d+) ");
        await().atMost(Duration.ofSeconds(60)).until(() -> lines.stream().anyMatch(l -> started.matcher(l).find()));
        Matcher m = lines.stream().map(started::matcher).filter(Matcher::find).findFirst().orElseThrow();
        InetSocketAddress proxy = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));

        // room for about 8 proxied connections (2 descriptors each) above what the started LB holds
        long open;
        try (var fds = Files.list(Path.of("/proc", String.valueOf(child.process.pid()), "fd"))) {
            open = fds.count();
        }
        long limit = open + 16;
        Process p = new ProcessBuilder("prlimit", "--pid", String.valueOf(child.process.pid()), "--nofile=" + limit + ":" + limit).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0).as("prlimit").isTrue();

        List<TestClient> kept = new ArrayList<>();
        List<java.net.Socket> refused = new ArrayList<>();
        try {
            int i = 0;
            // proxied until the descriptors run out: then a client is closed at once or never answered
            for (; i < 60; i++) {
                java.net.Socket s = new java.net.Socket();
                s.bind(new InetSocketAddress(ip(i), 0));
                s.connect(proxy, 5000);
                s.setSoTimeout(2000);
                String first;
                try {
                    first = EchoBackend.readLine(s.getInputStream());
                } catch (java.net.SocketTimeoutException e) {
                    first = null; // waiting in the backlog: the LB is not accepting
                }
                if (!"b1".equals(first)) {
                    refused.add(s);
                    break;
                }
                s.close();
                kept.add(new TestClient(ip(i), proxy));
                assertThat(kept.get(kept.size() - 1).member()).isEqualTo("b1");
            }
            assertThat(refused).as("the descriptors ran out within 60 clients").hasSize(1);
            assertThat(kept).as("connections proxied before they ran out").isNotEmpty();
            // more clients while it is out: refused or kept waiting, never served half-way
            for (int j = 0; j < 10; j++) {
                java.net.Socket s = new java.net.Socket();
                s.bind(new InetSocketAddress(ip(100 + j), 0));
                s.connect(proxy, 5000);
                refused.add(s);
            }
            // three seconds out of descriptors (a ping on the kept connections as the fence)
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < until) {
                assertThat(kept.get(0).echo("ping")).isEqualTo("ping");
            }
            assertThat(child.process.isAlive()).isTrue();
            for (int k = 0; k < kept.size(); k++) {
                assertThat(kept.get(k).echo("still here " + k)).as("kept connection %d", k).isEqualTo("still here " + k);
            }
            long warnings = lines.stream().filter(l -> l.contains("WARN")).count();
            assertThat(warnings).as("log lines while out of descriptors: at most about one a second, not a spin\n%s",
                    String.join("\n", lines)).isLessThanOrEqualTo(10);
        } finally {
            for (java.net.Socket s : refused) {
                s.close();
            }
            for (TestClient c : kept) {
                c.close();
            }
        }
        // descriptors free again: new clients are served
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            try (TestClient c = new TestClient(ip(200), proxy)) {
                assertThat(c.member()).isEqualTo("b1");
                assertThat(c.echo("back")).isEqualTo("back");
            }
        });
        assertThat(child.process.isAlive()).isTrue();
    }
}
