package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code stickyring demo --edges 2 --writers 1} on the real PostgreSQL and NATS (a fresh schema and
 * subject prefix per run; ZooKeeper is the demo's embedded one): the writer starts first and
 * registers as a writer only, the demo's LB lists and routes to the two edges only, two users on
 * different edges talk through it, every send is committed by the writer, and the summary names the
 * edges and the writer. Ends with no child process left and the schema dropped.
 */
class DemoSplitTest {

    private static final String PG = System.getenv().getOrDefault("STICKYRING_PG_URL", "postgresql://postgres@127.0.0.1:5432/test");
    private static final String NATS = System.getenv().getOrDefault("STICKYRING_NATS_URL", "nats://127.0.0.1:4222");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern COMMITS = Pattern.compile("(?m)^stickyring_chat_commit_batch_size_sum(?:\\{[^}]*})? ([0-9.eE+]+)$");

    @TempDir
    Path dir;

    private final String schema = "demo_split_" + System.nanoTime();
    private Demo demo;
    private final List<ProcessHandle> children = new ArrayList<>();
    private final List<LoopbackChatClient> clients = new ArrayList<>();

    @AfterEach
    void stopEverythingAndDropTheSchema() throws Exception {
        clients.forEach(LoopbackChatClient::close);
        if (demo != null) {
            children.addAll(demo.childProcesses());
            demo.close();
        }
        assertThat(children).allSatisfy(p -> assertThat(p.isAlive()).as("child pid %d alive after close", p.pid()).isFalse());
        try (var c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test", "postgres", "");
             var st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    /** Starts the demo with {@code shape} on this run's schema and a fresh NATS prefix; returns its progress output. */
    private ByteArrayOutputStream startOnTheClusterStore(String prefix, String... shape) throws Exception {
        List<String> args = new ArrayList<>(List.of(shape));
        args.addAll(List.of("--store", PG + "?schema=" + schema + "&pool=3", "--bus", NATS + "?prefix=" + prefix + System.nanoTime(),
                "--port", "0", "--admin-port", "0", "--control-port", "0", "--data", dir.resolve("demo-data").toString(),
                "--drain-period", "0s"));
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        demo = Demo.start(parse(args.toArray(String[]::new)), new PrintStream(progress, true, StandardCharsets.UTF_8));
        children.addAll(demo.childProcesses());
        return progress;
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void twoEdgesBehindTheLbAndOneWriterCommittingEverySend() throws Exception {
        ByteArrayOutputStream progress = startOnTheClusterStore("test.demosplit", "--edges", "2", "--writers", "1");
        assertThat(children).hasSize(3);

        // The progress lines and the summary say which process is which.
        String shown = progress.toString(StandardCharsets.UTF_8);
        assertThat(shown).contains("demo: store      PostgreSQL", "schema " + schema, "demo: shape      split: edges e1, e2", "writers w1",
                "demo: ready      LB /readyz is ready and /members lists e1, e2 (the edges; writer w1 is not an LB member)");
        assertThat(shown).containsPattern("demo: node w1 +pid \\d+ serving on 127\\.0\\.0\\.1:\\d+ as writer, metrics on http://127\\.0\\.0\\.1:\\d+/metrics");
        assertThat(shown).containsPattern("demo: node e1 +pid \\d+ serving on 127\\.0\\.0\\.1:\\d+ as edge");
        // The writer was serving before either edge started (edges without a writer commit themselves).
        assertThat(shown.indexOf("demo: node w1")).isLessThan(shown.indexOf("demo: node e1")).isLessThan(shown.indexOf("demo: ready"));
        assertThat(shown.indexOf("demo: node w1")).isLessThan(shown.indexOf("demo: node e2"));
        String banner = DemoCommand.banner(demo);
        for (DemoNode.Status s : demo.nodeStatus()) {
            assertThat(banner).contains(s.id() + "   " + s.role() + " ", s.address(), "http://" + s.admin() + "/metrics");
        }
        assertThat(banner).contains("w1   writer", "not an LB member, never given clients", "e1   edge   ", "e2   edge   ");
        JsonNode status = get(demo.controlUrl().resolve("status"));
        assertThat(status.path("nodes").findValuesAsText("role")).containsExactly("edge", "edge", "writer");
        assertThat(demo.statusLines()).anySatisfy(l -> assertThat(l).startsWith("w1   writer").contains("LB: not a member (writer)"));

        // The LB lists the edges only, and every client address maps to one of them (both are used).
        assertThat(demo.lbMembers().keySet()).containsExactlyInAnyOrder("e1", "e2");
        Set<String> owners = new HashSet<>();
        for (int i = 2; i < 60; i++) {
            owners.add(owner("127.0.0." + i));
        }
        assertThat(owners).containsExactlyInAnyOrder("e1", "e2");

        // alice on one edge, bob on the other, both through the demo's LB.
        String aliceIp = "127.0.0.2";
        String x = owner(aliceIp);
        String bobIp = firstIp(ip -> !owner(ip).equals(x));
        String y = owner(bobIp);
        InetSocketAddress lb = demo.proxyAddress();
        LoopbackChatClient alice = open(lb, aliceIp, LoopbackChatClient.login(lb, aliceIp, "alice"));
        LoopbackChatClient bob = open(lb, bobIp, LoopbackChatClient.login(lb, bobIp, "bob"));
        assertThat(alice.welcome.path("node").asText()).isEqualTo(x);
        assertThat(bob.welcome.path("node").asText()).isEqualTo(y).isNotEqualTo(x);
        assertThat(bob.welcome.path("ip").asText()).isEqualTo(bobIp);
        await().atMost(Duration.ofSeconds(10)).until(() -> demo.lbMembers().get(x).path("connections").asInt() == 1
                && demo.lbMembers().get(y).path("connections").asInt() == 1);

        // alice (edge X) -> bob (edge Y): forwarded to the writer, committed, acked on X, delivered live on Y.
        JsonNode ack1 = sendAndAwaitAck(alice, "dm:alice:bob", "hello across edges");
        assertThat(ack1.path("seq").asLong()).isEqualTo(1);
        JsonNode m1 = bob.next("msg", Duration.ofSeconds(30));
        assertThat(m1.path("body").asText()).isEqualTo("hello across edges");
        assertThat(m1.path("seq").asLong()).isEqualTo(ack1.path("seq").asLong());
        JsonNode ack2 = sendAndAwaitAck(bob, "dm:alice:bob", "and back");
        assertThat(ack2.path("seq").asLong()).isEqualTo(2);
        JsonNode echo = alice.next("msg", Duration.ofSeconds(30)); // alice's inbox holds her own message first
        assertThat(echo.path("id").asText()).isEqualTo(ack1.path("id").asText());
        assertThat(alice.next("msg", Duration.ofSeconds(30)).path("body").asText()).isEqualTo("and back");

        // The writer committed both messages (its commit batch sizes sum to at least 2); neither edge committed anything.
        assertThat(commits("w1")).isGreaterThanOrEqualTo(2);
        assertThat(commits("e1")).isZero();
        assertThat(commits("e2")).isZero();
        // Still no client on the writer: the LB never listed it.
        assertThat(demo.lbMembers().keySet()).containsExactlyInAnyOrder("e1", "e2");
    }

    /** The same flags without --edges/--writers: nodes of role all on PostgreSQL and NATS, all of them LB members. */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void roleAllNodesOnTheClusterStoreWithoutEdgesOrWriters() throws Exception {
        ByteArrayOutputStream progress = startOnTheClusterStore("test.demoall", "--nodes", "2");
        String shown = progress.toString(StandardCharsets.UTF_8);
        assertThat(shown).contains("demo: store      PostgreSQL", "schema " + schema, "demo: ready      LB /readyz is ready and /members lists n1, n2\n")
                .doesNotContain("demo: shape", " as edge", " as writer");
        assertThat(DemoCommand.banner(demo)).doesNotContain("Split shape");
        assertThat(demo.lbMembers().keySet()).containsExactlyInAnyOrder("n1", "n2");

        String aliceIp = "127.0.0.2";
        String x = owner(aliceIp);
        String bobIp = firstIp(ip -> !owner(ip).equals(x));
        InetSocketAddress lb = demo.proxyAddress();
        LoopbackChatClient alice = open(lb, aliceIp, LoopbackChatClient.login(lb, aliceIp, "alice"));
        LoopbackChatClient bob = open(lb, bobIp, LoopbackChatClient.login(lb, bobIp, "bob"));
        assertThat(bob.welcome.path("node").asText()).isNotEqualTo(alice.welcome.path("node").asText());
        JsonNode ack = sendAndAwaitAck(alice, "dm:alice:bob", "role all on PostgreSQL");
        JsonNode m = bob.next("msg", Duration.ofSeconds(30));
        assertThat(m.path("body").asText()).isEqualTo("role all on PostgreSQL");
        assertThat(m.path("seq").asLong()).isEqualTo(ack.path("seq").asLong()).isEqualTo(1);
    }

    private static DemoConfig parse(String... args) {
        DemoCommand cmd = new DemoCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.toConfig();
    }

    private static JsonNode sendAndAwaitAck(LoopbackChatClient c, String conv, String body) {
        String id = UUID.randomUUID().toString();
        c.send(LoopbackChatClient.JSON.createObjectNode().put("t", "send").put("id", id).put("conv", conv).put("body", body));
        // Generous: the first forwarded send warms up the edge -> NATS -> writer -> PostgreSQL path on a busy machine.
        JsonNode ack = c.next("ack", Duration.ofSeconds(30));
        assertThat(ack.path("id").asText()).as(ack.toString()).isEqualTo(id);
        return ack;
    }

    /** Messages the node committed to the store: the sum of its commit batch sizes, from its own metrics. */
    private long commits(String id) throws IOException, InterruptedException {
        String admin = demo.nodeStatus().stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow().admin();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + admin + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Matcher m = COMMITS.matcher(r.body());
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    private LoopbackChatClient open(InetSocketAddress lb, String ip, String token) throws InterruptedException {
        LoopbackChatClient c = LoopbackChatClient.connect(lb, ip, token, 0);
        clients.add(c);
        return c;
    }

    private String firstIp(Predicate<String> wanted) {
        return LoopbackChatClient.firstIp(wanted);
    }

    private String owner(String ip) {
        try {
            return get(demo.adminUrl().resolve("lookup?ip=" + ip)).path("member").asText();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode get(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return LoopbackChatClient.JSON.readTree(r.body());
    }
}
