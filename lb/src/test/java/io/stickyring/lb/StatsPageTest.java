package io.stickyring.lb;

import static io.stickyring.lb.support.TestClient.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stickyring.lb.config.HealthCheckMode;
import io.stickyring.lb.support.HeadlessChromium;
import io.stickyring.lb.support.LbHarness;
import io.stickyring.lb.support.TestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The LB stats page on the admin port: its files come from the jar with a strict CSP, /stats.json
 * carries each member's state, weight, health, connections, bytes and state age, the page asks a
 * browser for the token as a Basic password, and in headless Chromium it renders every member, a
 * hostile member id as plain text, and a screenshot (target/lb-stats-page.png).
 */
@Timeout(180)
class StatsPageTest {

    /** A member id an attacker who can register members might choose. */
    static final String HOSTILE = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b>";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final LbHarness h = new LbHarness();
    private final List<TestClient> clients = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() throws Exception {
        for (TestClient c : clients) {
            c.close();
        }
        h.close();
    }

    private HttpResponse<String> get(LoadBalancer lb, String path, String authorization) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base(lb) + path)).timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            r.header("Authorization", authorization);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String base(LoadBalancer lb) {
        return "http://127.0.0.1:" + lb.adminAddress().getPort();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, JsonNode> byId(JsonNode stats) {
        Map<String, JsonNode> m = new HashMap<>();
        stats.get("members").forEach(n -> m.put(n.get("id").asText(), n));
        return m;
    }

    @Test
    void servesPageFilesFromTheJarWithStrictCspAndMemberNumbersAsJson() throws Exception {
        h.backend("n1", false);
        h.backend("n2", false);
        LoadBalancer lb = h.start(b -> { });
        for (int i = 0; i < 10; i++) {
            TestClient c = new TestClient(ip(i), lb.proxyAddress());
            clients.add(c);
            assertThat(c.echo("hello")).isEqualTo("hello");
        }
        HttpResponse<String> page = get(lb, "/stats", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("content-security-policy").orElseThrow())
                .contains("default-src 'none'", "script-src 'self'").doesNotContain("unsafe-inline");
        assertThat(page.body()).contains("<script src=\"/stats/stats.js\"", "/stats/stats.css")
                .doesNotContain("http://", "https://");
        assertThat(get(lb, "/stats/stats.js", null).headers().firstValue("content-type"))
                .hasValue("text/javascript; charset=utf-8");
        assertThat(get(lb, "/stats/stats.css", null).statusCode()).isEqualTo(200);
        assertThat(get(lb, "/stats/../members", null).statusCode()).isEqualTo(404);
        assertThat(get(lb, "/stats/nope.js", null).statusCode()).isEqualTo(404);

        JsonNode stats = JSON.readTree(get(lb, "/stats.json", null).body());
        assertThat(stats.get("totals").get("accepted").asLong()).isEqualTo(10);
        assertThat(stats.get("totals").get("active").asLong()).isEqualTo(10);
        long conns = 0;
        long toMembers = 0;
        for (JsonNode m : stats.get("members")) {
            assertThat(m.get("state").asText()).isEqualTo("ACTIVE");
            assertThat(m.get("health").asText()).isEqualTo("UP");
            assertThat(m.get("weight").asInt()).isEqualTo(1);
            assertThat(m.get("stateSince").asLong()).isPositive().isLessThanOrEqualTo(stats.get("now").asLong());
            assertThat(m.get("connectFailures").asLong()).isZero();
            conns += m.get("connections").asLong();
            toMembers += m.get("bytesToMember").asLong();
        }
        assertThat(conns).isEqualTo(10);
        assertThat(toMembers).isEqualTo(10 * "hello\n".length());
    }

    @Test
    void withATokenTheBrowserIsAskedForItAsBasicPasswordAndOtherEndpointsStillWantBearer() throws Exception {
        h.backend("n1", false);
        LoadBalancer lb = h.start(b -> b.adminToken = "s3cret");
        HttpResponse<String> r = get(lb, "/stats", null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("www-authenticate").orElseThrow()).startsWith("Basic realm=");
        assertThat(get(lb, "/stats", basic("ops", "wrong")).statusCode()).isEqualTo(401);
        assertThat(get(lb, "/stats", "Basic %%%").statusCode()).isEqualTo(401);
        assertThat(get(lb, "/stats", basic("anyone", "s3cret")).statusCode()).isEqualTo(200);
        assertThat(get(lb, "/stats.json", basic("", "s3cret")).statusCode()).isEqualTo(200);
        assertThat(get(lb, "/stats.json", "Bearer s3cret").statusCode()).isEqualTo(200);
        // Basic is for the page a browser opens; the API keeps its bearer token only
        HttpResponse<String> members = get(lb, "/members", basic("ops", "s3cret"));
        assertThat(members.statusCode()).isEqualTo(401);
        assertThat(members.headers().firstValue("www-authenticate")).isEmpty();
    }

    @Test
    void rendersEveryMemberStateAndAHostileIdAsTextInHeadlessChromium() throws Exception {
        HeadlessChromium chromium = HeadlessChromium.require();
        for (String id : List.of("n1", "n2", "n3", HOSTILE)) {
            h.backend(id, false);
        }
        LoadBalancer lb = h.start(b -> {
            b.healthCheck = HealthCheckMode.TCP;
            b.healthInterval = Duration.ofMillis(100);
            b.healthTimeout = Duration.ofMillis(500);
            b.healthFall = 1;
        });
        for (int i = 0; i < 24; i++) {
            TestClient c = new TestClient(ip(i), lb.proxyAddress());
            clients.add(c);
            c.echo("some bytes through the proxy");
        }
        assertThat(h.post(lb, "/members/n2/drain", null).statusCode()).isEqualTo(200);
        h.backends.get("n3").stop();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            Map<String, JsonNode> m = byId(JSON.readTree(get(lb, "/stats.json", null).body()));
            assertThat(m.get("n2").get("state").asText()).isEqualTo("DRAINING");
            assertThat(m.get("n3").get("state").asText()).isEqualTo("DOWN");
            assertThat(m.get("n3").get("connections").asInt()).isZero();
        });
        Map<String, JsonNode> expected = byId(JSON.readTree(get(lb, "/stats.json", null).body()));

        Document doc = Jsoup.parse(chromium.dumpDom(base(lb) + "/stats", 3000));
        assertThat(doc.title()).isEqualTo("stickyring lb stats");
        assertThat(doc.getElementById("status").text()).startsWith("updated");
        assertThat(doc.select("#rows img, #rows b, #rows script")).as("markup from a member id").isEmpty();
        Map<String, Element> rows = new HashMap<>();
        for (Element tr : doc.select("#rows tr")) {
            rows.put(tr.selectFirst("td.id").text(), tr);
        }
        assertThat(rows).containsOnlyKeys("n1", "n2", "n3", HOSTILE);
        assertThat(cells(rows.get("n2"))).contains("DRAINING");
        assertThat(cells(rows.get("n3"))).contains("DOWN");
        assertThat(rows.get("n3").hasClass("down")).isTrue();
        assertThat(cells(rows.get(HOSTILE))).contains("ACTIVE", "UP");
        for (Map.Entry<String, Element> e : rows.entrySet()) {
            JsonNode m = expected.get(e.getKey());
            List<String> c = cells(e.getValue());
            // member, address, zone, state, since, weight, share, health, conns, to, from, errors
            assertThat(c.get(1)).isEqualTo(m.get("address").asText());
            assertThat(c.get(4)).matches("\\d+(s|m \\d+s)");
            assertThat(c.get(5)).isEqualTo("1");
            assertThat(c.get(8)).isEqualTo(m.get("connections").asText());
            assertThat(c.get(11)).startsWith(m.get("connectFailures").asText());
        }
        assertThat(Long.parseLong(doc.getElementById("accepted").text())).isGreaterThanOrEqualTo(24);

        Path png = Path.of("target", "lb-stats-page.png");
        chromium.screenshot(base(lb) + "/stats", png, 1280, 420, 3000);
    }

    @Test
    void withATokenTheBrowserGetsInWithTheTokenAsBasicPasswordAndTheScriptPollsToo() throws Exception {
        HeadlessChromium chromium = HeadlessChromium.require();
        h.backend("n1", false);
        LoadBalancer lb = h.start(b -> b.adminToken = "s3cret");
        int port = lb.adminAddress().getPort();
        Document in = Jsoup.parse(chromium.dumpDom("http://ops:s3cret@127.0.0.1:" + port + "/stats", 3000));
        assertThat(in.getElementById("status").text()).startsWith("updated");
        assertThat(in.select("#rows td.id").eachText()).containsExactly("n1");
        Document out = Jsoup.parse(chromium.dumpDom("http://ops:wrong@127.0.0.1:" + port + "/stats", 3000));
        assertThat(out.getElementById("rows")).isNull();
    }

    private static List<String> cells(Element tr) {
        return tr.select("td").eachText();
    }
}
