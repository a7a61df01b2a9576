package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar's log output: ISO-8601 times with the zone by default, one JSON object per line with
 * {@code --log-format json}, and the LB's access lines in their own file with {@code --access-log}
 * (none on stderr then). Runs the shaded jar, whose logback.xml is the one operators get.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LogFormatIT {

    private static final Pattern ISO = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2}) ");
    private static final Pattern PROXY = Pattern.compile("proxy on 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path tmp;

    /**
     * An LB with one member that refuses connects and one client connection through it; returns its
     * stderr lines once {@code logged} (given them) holds: the access line is written just after the
     * client sees the close, so the test waits for it rather than for the close.
     */
    private List<String> lbWithOneConnection(java.util.function.Predicate<List<String>> logged, String... launcherFlags)
            throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        List<String> args = new ArrayList<>(List.of(launcherFlags));
        args.addAll(List.of("lb", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--backend", "n1=127.0.0.1:" + closed,
                "--connect-tries", "1", "--shutdown-grace", "0s"));
        RunningJar lb = RunningJar.start(args);
        try (lb) {
            Matcher m = PROXY.matcher(lb.awaitStdoutLine("stickyring lb: proxy on"));
            assertThat(m.find()).isTrue();
            try (Socket c = new Socket("127.0.0.1", Integer.parseInt(m.group(1)))) {
                c.setSoTimeout(10_000);
                assertThat(c.getInputStream().read()).as("closed: the member refuses").isEqualTo(-1);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> logged.test(lb.err()));
        }
        return lb.err();
    }

    @Test
    void textLinesStartWithAnIsoTimeAndZone() throws Exception {
        List<String> err = lbWithOneConnection(e -> e.stream().anyMatch(l -> l.contains("lb.access - close client=")));
        assertThat(err).isNotEmpty();
        assertThat(err).filteredOn(l -> l.contains(" INFO ") || l.contains(" WARN ")).isNotEmpty()
                .allMatch(l -> ISO.matcher(l).find(), "starts with an ISO-8601 time and zone");
        assertThat(err).anyMatch(l -> l.contains("io.stickyring.lb.access - close client=127.0.0.1:") && l.contains("reason=connect_failed"));
    }

    @Test
    void jsonFormatIsOneObjectPerLineAndTheAccessLogGoesToItsFile() throws Exception {
        Path access = tmp.resolve("logs/access.log");
        List<String> err = lbWithOneConnection(e -> lines(access) > 0, "--log-format", "json", "--access-log", access.toString());
        ObjectMapper json = new ObjectMapper();
        assertThat(err).isNotEmpty();
        for (String l : err) {
            JsonNode n = json.readTree(l);
            assertThat(n.path("level").asText()).as(l).isNotEmpty();
            assertThat(n.path("loggerName").asText()).as(l).startsWith("io.stickyring").isNotEqualTo("io.stickyring.lb.access");
        }
        List<String> lines = Files.readAllLines(access);
        assertThat(lines).hasSize(1);
        JsonNode line = json.readTree(lines.get(0));
        assertThat(line.path("loggerName").asText()).isEqualTo("io.stickyring.lb.access");
        assertThat(line.path("formattedMessage").asText()).startsWith("close client=127.0.0.1:").contains("reason=connect_failed");
    }

    private static long lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file).size() : 0;
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    @Test
    void aBadLogFormatIsOneLineAndExit2() throws Exception {
        List<String> cmd = new ArrayList<>(RunningJar.javaJar());
        cmd.addAll(List.of("--log-format", "xml", "lb"));
        Process p = new ProcessBuilder(cmd).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(err.lines().toList()).containsExactly("stickyring: --log-format (xml) must be text or json", "see 'stickyring --help'");
    }
}
