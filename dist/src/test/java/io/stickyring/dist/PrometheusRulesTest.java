package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * deploy/prometheus/stickyring-alerts.yml: {@code promtool check rules} accepts it and
 * {@code promtool test rules} passes its unit tests (alerts fire after their {@code for}, stay quiet
 * on healthy series). Skipped only where promtool is missing and cannot be installed (not root);
 * as root a missing promtool fails, since ./test.sh installs it (scripts/test-packages.txt).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PrometheusRulesTest {

    static final Path DIR = Path.of("..", "deploy", "prometheus").toAbsolutePath().normalize();
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    private static String promtool(String... args) throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        assumeTrue(Files.isExecutable(PROMTOOL) || root,
                "promtool is not installed (Debian package prometheus) and this user cannot install it: rules not checked");
        assertThat(PROMTOOL).as("promtool (scripts/test-packages.txt: prometheus)").isExecutable();
        List<String> cmd = new java.util.ArrayList<>(List.of(PROMTOOL.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void promtoolChecksTheRules() throws Exception {
        assertThat(promtool("check", "rules", "stickyring-alerts.yml")).contains("SUCCESS: 11 rules found");
    }

    @Test
    void promtoolUnitTestsPass() throws Exception {
        assertThat(promtool("test", "rules", "stickyring-alerts.test.yml")).contains("SUCCESS");
    }
}
