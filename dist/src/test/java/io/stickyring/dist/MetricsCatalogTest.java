package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.stickyring.chat.server.ChatNode;
import io.stickyring.chat.server.NodeConfig;
import io.stickyring.lb.LoadBalancer;
import io.stickyring.cli.HostPort;
import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.route.HashFactories;
import io.stickyring.lb.route.KeyFunctions;
import io.stickyring.lb.source.Membership;
import io.stickyring.membership.Member;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metric names operators rely on, checked against a fresh LB and a fresh chat node (nothing
 * has happened yet): every metric the docs' tables list is exported from start with HELP and TYPE;
 * every metric the alert rules (deploy/prometheus) and the Grafana dashboard (deploy/grafana) name
 * exists; rejected_total's HELP and docs/lb.md list the same reasons; and a refused connection is
 * counted once, in rejected_total, not again in closed_total.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsCatalogTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern NAME = Pattern.compile("stickyring_[a-z0-9_]+");

    @TempDir
    Path dir;

    private ChatNode node;
    private LoadBalancer lb;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        node = ChatNode.start(NodeConfig.defaults("127.0.0.1", 0, "n1", "sqlite:" + dir.resolve("chat.db"),
                "0123456789abcdef-0123456789-metrics".getBytes(StandardCharsets.UTF_8)).build());
        LbConfig.Builder b = LbConfig.builder().listen(new HostPort("127.0.0.1", 0)).admin(new HostPort("127.0.0.1", 0))
                .backends(List.of(Member.of("n1", "127.0.0.1", node.address().getPort())));
        b.ioThreads = 1;
        b.acceptThreads = 1;
        b.maxConnectionsPerIp = 1;
        b.shutdownGrace = Duration.ZERO;
        LbConfig cfg = b.build();
        lb = LoadBalancer.start(cfg, Membership.of(cfg), HashFactories.defaults(), KeyFunctions.of(cfg.keyMode(), cfg.prefixV4(), cfg.prefixV6()));
    }

    @AfterEach
    void stop() {
        if (lb != null) {
            lb.close();
        }
        if (node != null) {
            node.shutdown(Duration.ZERO);
        }
    }

    private String scrape(InetSocketAddress at) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort() + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /** Family names with both a HELP and a TYPE line. */
    private static Set<String> families(String exposition) {
        Set<String> help = new TreeSet<>();
        Set<String> type = new TreeSet<>();
        for (String l : exposition.split("\n")) {
            String[] f = l.split(" ");
            if (f.length >= 3 && f[0].equals("#") && f[1].equals("HELP")) {
                help.add(f[2]);
            } else if (f.length >= 4 && f[0].equals("#") && f[1].equals("TYPE")) {
                type.add(f[2]);
            }
        }
        help.retainAll(type);
        return help;
    }

    private static Set<String> namesIn(String text) {
        Set<String> out = new TreeSet<>();
        Matcher m = NAME.matcher(text);
        while (m.find()) {
            out.add(m.group().replaceFirst("_(bucket|count|sum)$", ""));
        }
        return out;
    }

    /** Metric names listed in a doc's metrics table rows ("| `name{labels}` | ..."), nft-mode rows left out. */
    private static Set<String> documented(String doc) throws Exception {
        return documented(doc, false);
    }

    /**
     * {@code nftMode}: only the rows whose description starts with "nft mode:" (exported by an LB on
     * {@code --dataplane nft}; NftL3Test reads them), else every other row.
     */
    private static Set<String> documented(String doc, boolean nftMode) throws Exception {
        Set<String> out = new TreeSet<>();
        for (String l : Files.readAllLines(ROOT.resolve("docs").resolve(doc))) {
            if (l.startsWith("| `stickyring_") && l.contains("| nft mode:") == nftMode) {
                out.addAll(namesIn(l.substring(0, l.indexOf(" |", 2))));
            }
        }
        assertThat(out).as("metrics table of %s", doc).isNotEmpty();
        return out;
    }

    private Set<String> exported() throws Exception {
        Set<String> all = new TreeSet<>(families(scrape(lb.adminAddress())));
        all.addAll(families(scrape(node.adminAddress())));
        return all;
    }

    @Test
    void everyDocumentedMetricIsExportedFromStartWithHelpAndType() throws Exception {
        Set<String> exported = exported();
        assertThat(exported).containsAll(documented("lb.md"));
        assertThat(exported).containsAll(documented("chat-node.md"));
        // The kernel data plane's families exist only on an nft LB: a proxy LB must not export them.
        assertThat(exported).doesNotContainAnyElementsOf(documented("lb.md", true));
    }

    @Test
    void alertRulesAndDashboardNameOnlyExportedMetrics() throws Exception {
        Set<String> exported = exported();
        Set<String> rules = namesIn(Files.readString(ROOT.resolve("deploy/prometheus/stickyring-alerts.yml")));
        assertThat(rules).hasSizeGreaterThan(8);
        assertThat(exported).containsAll(rules);

        String json = Files.readString(ROOT.resolve("deploy/grafana/stickyring-dashboard.json"));
        var dashboard = new ObjectMapper().readTree(json);
        assertThat(dashboard.path("panels").size()).isGreaterThan(10);
        List<String> exprs = new ArrayList<>();
        dashboard.findValues("expr").forEach(e -> exprs.add(e.asText()));
        dashboard.findValues("definition").forEach(e -> exprs.add(e.asText()));
        Set<String> used = namesIn(String.join("\n", exprs));
        assertThat(used).as("dashboard metrics").hasSizeGreaterThan(15);
        // The NATS bus metrics (docs/cluster.md) exist only on nodes with --bus nats://.
        Set<String> known = new TreeSet<>(exported);
        known.addAll(documented("cluster.md"));
        assertThat(known).containsAll(used);
        // both halves of the system are on it
        assertThat(used).anyMatch(n -> n.startsWith("stickyring_lb_")).anyMatch(n -> n.startsWith("stickyring_chat_"));
    }

    @Test
    void rejectedReasonsAreTheSameInHelpAndDocs() throws Exception {
        String lbMetrics = scrape(lb.adminAddress());
        String help = lbMetrics.lines().filter(l -> l.startsWith("# HELP stickyring_lb_connections_rejected_total ")).findFirst().orElseThrow();
        Set<String> inHelp = new TreeSet<>(Arrays.asList(help.substring(help.indexOf('(') + 1, help.indexOf(')')).split(", ")));
        String row = Files.readAllLines(ROOT.resolve("docs/lb.md")).stream()
                .filter(l -> l.startsWith("| `stickyring_lb_connections_rejected_total`")).findFirst().orElseThrow();
        Set<String> inDocs = new TreeSet<>();
        Matcher m = Pattern.compile("`([a-z_]+)`").matcher(row.split("\\|")[3]);
        while (m.find()) {
            if (!m.group(1).equals("reason")) {
                inDocs.add(m.group(1));
            }
        }
        assertThat(inHelp).hasSize(9).isEqualTo(inDocs);
        for (String reason : inHelp) {
            assertThat(lbMetrics).contains("stickyring_lb_connections_rejected_total{reason=\"" + reason + "\"} 0.0");
        }
    }

    private double sample(String exposition, String prefix) {
        return exposition.lines().filter(l -> l.startsWith(prefix)).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    @Test
    void aRefusedConnectionIsCountedOnceInRejectedNotAgainInClosed() throws Exception {
        InetSocketAddress proxy = lb.proxyAddress();
        try (Socket first = new Socket()) {
            first.connect(new InetSocketAddress("127.0.0.1", proxy.getPort()), 5000);
            await().atMost(Duration.ofSeconds(10)).until(() -> sample(scrape(lb.adminAddress()), "stickyring_lb_connections_active ") == 1);
            try (Socket second = new Socket()) {
                second.setSoTimeout(10_000);
                second.connect(new InetSocketAddress("127.0.0.1", proxy.getPort()), 5000);
                assertThat(second.getInputStream().read()).as("refused: closed by the LB").isEqualTo(-1);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> sample(scrape(lb.adminAddress()), "stickyring_lb_connections_active ") == 1);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            String s = scrape(lb.adminAddress());
            return sample(s, "stickyring_lb_connections_active ") == 0 && sample(s, "stickyring_lb_connections_closed_total{") >= 1;
        });
        String s = scrape(lb.adminAddress());
        assertThat(sample(s, "stickyring_lb_connections_rejected_total{reason=\"per_ip\"}")).isEqualTo(1);
        assertThat(sample(s, "stickyring_lb_connections_rejected_total{")).isEqualTo(1);
        assertThat(sample(s, "stickyring_lb_connections_accepted_total ")).isEqualTo(2);
        // accepted = closed + rejected + open: the refused one is not also under closed
        assertThat(sample(s, "stickyring_lb_connections_closed_total{")).isEqualTo(1);
    }
}
