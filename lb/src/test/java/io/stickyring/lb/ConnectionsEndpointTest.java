package io.stickyring.lb;

import static io.stickyring.lb.support.TestClient.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.lb.support.TestClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** GET /connections over real sockets: every live connection listed once, on the member it really reached. */
@Timeout(60)
class ConnectionsEndpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final LbHarness h = new LbHarness();
    private final List<TestClient> clients = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (TestClient c : clients) {
            c.close();
        }
        h.close();
    }

    private static String hostPort(TestClient c) {
        return c.socket().getLocalAddress().getHostAddress() + ":" + c.socket().getLocalPort();
    }

    @Test
    void listsEveryLiveConnectionWithItsMemberAsJsonAndCsv() throws Exception {
        for (int i = 1; i <= 3; i++) {
            h.backend("b" + i, false);
        }
        LoadBalancer lb = h.start(b -> { });
        Map<String, String> expected = new HashMap<>(); // client ip:port -> member
        for (int i = 0; i < 40; i++) {
            TestClient c = new TestClient(ip(i), lb.proxyAddress());
            assertThat(c.echo("hello")).isEqualTo("hello");
            clients.add(c);
            expected.put(hostPort(c), c.member());
        }

        HttpResponse<String> r = h.get(lb, "/connections");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("transfer-encoding")).hasValue("chunked");
        JsonNode root = JSON.readTree(r.body());
        assertThat(root.get("count").asInt()).isEqualTo(40);
        Map<String, String> listed = new HashMap<>();
        for (JsonNode c : root.get("connections")) {
            assertThat(listed.put(c.get("client").asText(), c.get("member").asText())).as("listed once").isNull();
            assertThat(c.get("bytesIn").asLong()).as("'hello\\n' went to the member").isEqualTo(6);
            assertThat(c.get("bytesOut").asLong()).as("id line + echo came back").isGreaterThan(6);
            assertThat(Instant.parse(c.get("since").asText())).isBetween(Instant.now().minusSeconds(60), Instant.now());
        }
        assertThat(listed).isEqualTo(expected);

        String b2Json = h.get(lb, "/connections?member=b2").body();
        Set<String> b2 = new HashSet<>();
        JSON.readTree(b2Json).get("connections").forEach(c -> b2.add(c.get("client").asText()));
        Set<String> wantB2 = new HashSet<>();
        expected.forEach((k, v) -> {
            if (v.equals("b2")) {
                wantB2.add(k);
            }
        });
        assertThat(b2).isEqualTo(wantB2).isNotEmpty();

        HttpResponse<String> csv = h.get(lb, "/connections?format=csv");
        assertThat(csv.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/csv"));
        List<String> lines = List.of(csv.body().split("\n"));
        assertThat(lines.get(0)).isEqualTo("ip,member");
        Set<String> wantCsv = new HashSet<>();
        expected.forEach((k, v) -> wantCsv.add(k.substring(0, k.lastIndexOf(':')) + "," + v));
        assertThat(new HashSet<>(lines.subList(1, lines.size()))).isEqualTo(wantCsv);
        assertThat(lines).hasSize(41);

        for (int i = 0; i < 10; i++) {
            clients.get(i).close();
        }
        await().atMost(Duration.ofSeconds(10)).until(() ->
                JSON.readTree(h.get(lb, "/connections").body()).get("count").asInt() == 30);
    }

    @Test
    void badParametersNameTheValueAndTokenIsEnforced() throws Exception {
        h.backend("b1", false);
        LoadBalancer lb = h.start(b -> b.adminToken = "s3cret");
        assertThat(h.get(lb, "/connections").statusCode()).isEqualTo(401);
        LoadBalancer open = h.start(b -> { });
        HttpResponse<String> bad = h.get(open, "/connections?format=xml");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("format (xml) must be json or csv");
        HttpResponse<String> unknown = h.get(open, "/connections?member=nope");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("nope");
        assertThat(JSON.readTree(h.get(open, "/connections").body()).get("count").asInt()).isZero();
    }
}
