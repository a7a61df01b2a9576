package io.stickyring.membership.zk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryForever;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The operator's lines about a ZooKeeper connection: unreachable (once, naming the address), still
 * unreachable (once per repeat period, here 500 ms instead of a minute), reachable again; nothing
 * while the connection is up.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZkConnectionLogTest {

    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger log = (Logger) LoggerFactory.getLogger(ZkConnectionLog.class);
    private CuratorFramework client;
    private TestingServer server;

    @BeforeEach
    void capture() {
        lines.start();
        log.addAppender(lines);
    }

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        log.detachAppender(lines);
    }

    private List<String> messages() {
        return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    private CuratorFramework client(String connect) {
        CuratorFramework c = CuratorFrameworkFactory.builder().connectString(connect).sessionTimeoutMs(10_000)
                .connectionTimeoutMs(1_000).retryPolicy(new RetryForever(100)).build();
        ZkConnectionLog.attach(c, connect, Duration.ofMillis(300), Duration.ofMillis(500));
        c.start();
        return c;
    }

    @Test
    void neverReachableIsOneLineThenOnePerPeriodNamingTheAddress() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String address = "127.0.0.1:" + port;
        client = client(address);
        await().atMost(Duration.ofSeconds(20)).until(() -> messages().size() >= 3);
        List<String> m = messages();
        assertThat(m.get(0)).startsWith("ZooKeeper " + address + " unreachable: no connection after ");
        assertThat(m.subList(1, 3)).allMatch(l -> l.startsWith("ZooKeeper " + address + " still unreachable after "));
    }

    @Test
    void connectedThenDownThenBackIsOneLineEach() throws Exception {
        server = new TestingServer(true);
        String address = server.getConnectString();
        client = client(address);
        await().atMost(Duration.ofSeconds(20)).until(() -> messages().contains("ZooKeeper " + address + " connected"));
        server.stop();
        await().atMost(Duration.ofSeconds(20)).until(() -> messages().stream().anyMatch(l -> l.startsWith("ZooKeeper " + address + " unreachable (connection suspended)")));
        server.restart();
        await().atMost(Duration.ofSeconds(30)).until(() -> messages().stream().anyMatch(l -> l.startsWith("ZooKeeper " + address + " reachable again after ")));
        assertThat(messages().stream().filter(l -> l.contains(" unreachable (")).count()).isEqualTo(1);
        assertThat(messages().get(0)).isEqualTo("ZooKeeper " + address + " connected");
    }
}
