package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stickyring.chat.client.ChatClient;
import io.stickyring.chat.client.ChatListener;
import io.stickyring.chat.client.ClientOptions;
import io.stickyring.chat.client.ConnectionState;
import io.stickyring.chat.client.MemoryOutbox;
import io.stickyring.chat.client.SendAck;
import io.stickyring.chat.cluster.NodeRole;
import io.stickyring.chat.server.ChatNode;
import io.stickyring.chat.server.NodeConfig;
import io.stickyring.lb.LoadBalancer;
import io.stickyring.cli.HostPort;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.route.HashFactories;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.source.Membership;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real LB watching ZooKeeper in front of the split shape (one edge, one writer, PostgreSQL +
 * NATS): the writer registers under its own path, so the LB's view holds the edge only, every
 * client address maps to the edge, clients connected through the LB all land on it, and a send
 * through the LB is committed by the writer and acknowledged.
 */
@Timeout(120)
class SplitRolesLbTest {
    private static final String PG = System.getenv().getOrDefault("STICKYRING_PG_URL", "postgresql://postgres@127.0.0.1:5432/test");
    private static final String NATS = System.getenv().getOrDefault("STICKYRING_NATS_URL", "nats://127.0.0.1:4222");
    private static final byte[] SECRET = "split-lb-test-secret-0123456789-abcdef".getBytes(StandardCharsets.UTF_8);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theLbNeverSendsAClientToAWriter() throws Exception {
        String schema = "split_lb_" + System.nanoTime();
        String store = PG + "?schema=" + schema + "&pool=3";
        String bus = NATS + "?prefix=test.splitlb" + System.nanoTime();
        List<ChatClient> clients = new ArrayList<>();
        try (TestingServer zk = new TestingServer(true)) {
            ChatNode writer = node("w1", store, bus, zk, NodeRole.WRITER);
            ChatNode edge = node("e1", store, bus, zk, NodeRole.EDGE);
            try {
                LbConfig.Builder b = LbConfig.builder().listen(new HostPort("127.0.0.1", 0)).admin(new HostPort("127.0.0.1", 0));
                b.zk = zk.getConnectString();
                b.cluster = "chat";
                b.ioThreads = 1;
                b.acceptThreads = 1;
                b.shutdownGrace = Duration.ZERO;
                LbConfig cfg = b.build();
                HttpClient http = HttpClient.newHttpClient();
                try (LoadBalancer lb = LoadBalancer.start(cfg, Membership.of(cfg), HashFactories.defaults(),
                        KeyFunctions.of(cfg.keyMode(), cfg.prefixV4(), cfg.prefixV6()))) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> owner(http, lb, "127.20.0.1").equals("e1"));
                    for (int i = 1; i <= 100; i++) {
                        assertThat(owner(http, lb, "127.20." + (i % 7) + "." + i)).isEqualTo("e1");
                    }
                    URI url = URI.create("http://127.0.0.1:" + lb.proxyAddress().getPort());
                    List<SendAck> acks = new CopyOnWriteArrayList<>();
                    ChatListener listener = new ChatListener() {
                        @Override
                        public void onAck(SendAck a) {
                            acks.add(a);
                        }
                    };
                    for (int i = 1; i <= 12; i++) {
                        clients.add(ChatClient.start(ClientOptions.builder(url, "u" + i).token(edge.tokens().issue("u" + i)).transport(ClientOptions.TransportMode.WEBSOCKET)
                                .localAddress(InetAddress.getByName("127.21." + i + "." + (i * 3))).build(), new MemoryOutbox(), listener));
                    }
                    await().atMost(Duration.ofSeconds(30)).until(() -> clients.stream().allMatch(c -> c.state() == ConnectionState.CONNECTED));
                    assertThat(edge.sessionCount()).isEqualTo(12);
                    assertThat(writer.sessionCount()).isZero();
                    clients.get(0).send("dm:u1:u2", "through the LB, the edge and the writer");
                    await().atMost(Duration.ofSeconds(30)).until(() -> !acks.isEmpty());
                    assertThat(acks.get(0).seq()).isEqualTo(1);
                }
            } finally {
                clients.forEach(ChatClient::close);
                edge.close();
                writer.close();
            }
        } finally {
            try (var c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test", "postgres", "");
                 var st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    private static ChatNode node(String id, String store, String bus, TestingServer zk, NodeRole role) throws Exception {
        return ChatNode.start(NodeConfig.defaults("127.0.0.1", 0, id, store, SECRET).with(b -> {
            b.bus = bus;
            b.zk = zk.getConnectString();
            b.cluster = "chat";
            b.role = role;
            b.drainPeriod = Duration.ZERO;
            b.ioThreads = 1;
            b.blockingThreads = 2;
        }).build());
    }

    private static String owner(HttpClient http, LoadBalancer lb, String ip) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.adminAddress().getPort()
                + "/lookup?ip=" + ip)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode n = JSON.readTree(r.body()).path("member");
        return n.isObject() ? n.path("id").asText() : n.asText();
    }
}
