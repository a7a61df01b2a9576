package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.auth.TokenService;
import io.stickyring.chat.bus.NatsTestServer;
import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.store.PostgresTestSchemas;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three node processes on one PostgreSQL schema and one NATS (the machine's shared servers, with a
 * schema and subject prefix unique to this run): users spread over the nodes exchange direct and
 * group messages, each delivered once per device; a resend through another node after a
 * reconnect gets the original ack.
 */
@Timeout(180)
class ClusterProcessTest {
    static final TokenService TOKENS = new TokenService(TestNodes.SECRET, Duration.ofHours(1), Clock.systemUTC());
    static String schema;
    static final List<ClusterNodeProcess> nodes = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        schema = PostgresTestSchemas.newSchema();
        String store = PostgresTestSchemas.spec(schema, "");
        String bus = NatsTestServer.SHARED + "?prefix=" + NatsTestServer.uniquePrefix();
        for (String id : List.of("n1", "n2", "n3")) {
            nodes.add(ClusterNodeProcess.start(id, store, bus));
        }
    }

    @AfterAll
    static void stopCluster() {
        nodes.forEach(ClusterNodeProcess::close);
        if (schema != null) {
            PostgresTestSchemas.drop(schema);
        }
    }

    static int port(int i) {
        return nodes.get(i).port;
    }

    static String createGroup(int port, String creator, String... members) throws Exception {
        String body = Frames.JSON.writeValueAsString(java.util.Map.of("members", List.of(members), "title", "t"));
        HttpResponse<String> res = WsClient.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/conversations"))
                .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + TOKENS.issue(creator))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        return Frames.JSON.readTree(res.body()).get("id").asText();
    }

    @Test
    void directAndGroupMessagesCrossNodesOncePerDevice() throws Exception {
        String p = "x" + System.nanoTime() % 100000 + "-";
        String alice = p + "alice";
        String bob = p + "bob";
        String carol = p + "carol";
        String dave = p + "dave";
        try (Device alice1 = new Device(alice, TOKENS).connect(port(0));
             Device alice2 = new Device(alice, TOKENS).connect(port(1));
             Device bob1 = new Device(bob, TOKENS).connect(port(1));
             Device carol1 = new Device(carol, TOKENS).connect(port(2));
             Device dave1 = new Device(dave, TOKENS).connect(port(2))) {
            String group = createGroup(port(0), alice, bob, carol);
            alice1.sendAndAwaitAck("a1", Conversations.dmId(alice, bob), "alice to bob");
            bob1.sendAndAwaitAck("b1", Conversations.dmId(bob, carol), "bob to carol");
            carol1.sendAndAwaitAck("c1", group, "carol to group");
            dave1.sendAndAwaitAck("d1", Conversations.dmId(alice, dave), "dave to alice");
            bob1.sendAndAwaitAck("b2", group, "bob to group");

            List<String> aliceInbox = List.of("a1", "c1", "d1", "b2");
            for (Device d : List.of(alice1, alice2)) {
                d.awaitMessages(4);
            }
            bob1.awaitMessages(4);
            carol1.awaitMessages(3);
            dave1.awaitMessages(1);
            List<Device> all = List.of(alice1, alice2, bob1, carol1, dave1);
            for (Device d : all) {
                d.fence();
            }
            assertThat(alice1.ids()).containsExactlyElementsOf(aliceInbox);
            assertThat(alice2.ids()).containsExactlyElementsOf(aliceInbox);
            assertThat(bob1.ids()).containsExactly("a1", "b1", "c1", "b2");
            assertThat(carol1.ids()).containsExactly("b1", "c1", "b2");
            assertThat(dave1.ids()).containsExactly("d1");
            for (Device d : all) {
                assertThat(d.violations).isEmpty();
                assertThat(d.msgs.keySet()).containsExactlyElementsOf(LongStream.rangeClosed(1, d.msgs.size()).boxed().toList());
            }
            // The group message carries the same (conv, seq) for every member, wherever they are connected.
            JsonNode c1ForBob = bob1.msgs.values().stream().filter(m -> m.get("id").asText().equals("c1")).findFirst().orElseThrow();
            JsonNode c1ForAlice = alice2.msgs.values().stream().filter(m -> m.get("id").asText().equals("c1")).findFirst().orElseThrow();
            assertThat(c1ForAlice.get("seq")).isEqualTo(c1ForBob.get("seq"));
            assertThat(c1ForAlice.get("conv").asText()).isEqualTo(group);
        }
    }

    @Test
    void resendOfTheSameIdThroughAnotherNodeAfterAReconnectReturnsTheOriginalAck() {
        String p = "y" + System.nanoTime() % 100000 + "-";
        String alice = p + "alice";
        String bob = p + "bob";
        String dm = Conversations.dmId(alice, bob);
        try (Device bob1 = new Device(bob, TOKENS).connect(port(2))) {
            JsonNode first;
            try (Device alice1 = new Device(alice, TOKENS).connect(port(0))) {
                alice1.sendAndAwaitAck("r1", dm, "once");
                first = alice1.acks.get("r1");
            }
            // The client lost its connection before trusting the ack; it reconnects elsewhere and retries.
            try (Device alice2 = new Device(alice, TOKENS)) {
                alice2.cursor = 0;
                alice2.connect(port(1));
                JsonNode again = alice2.sendAndAwaitAck("r1", dm, "once");
                assertThat(again.get("seq")).isEqualTo(first.get("seq"));
                assertThat(again.get("ts")).isEqualTo(first.get("ts"));
                assertThat(again.get("conv")).isEqualTo(first.get("conv"));
                alice2.sendAndAwaitAck("r2", dm, "twice");
            }
            bob1.awaitMessages(2);
            bob1.fence();
            assertThat(bob1.ids()).containsExactly("r1", "r2");
            assertThat(bob1.violations).isEmpty();
        }
    }
}
