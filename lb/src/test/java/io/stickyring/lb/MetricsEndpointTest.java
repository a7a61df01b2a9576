package io.stickyring.lb;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.lb.support.LbHarness;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** /metrics carries the process and JVM metrics (open files against the limit first) and the build info. */
@Timeout(60)
class MetricsEndpointTest {

    private final LbHarness h = new LbHarness();

    @AfterEach
    void close() {
        h.close();
    }

    @Test
    void metricsIncludeProcessJvmAndBuildInfo() throws Exception {
        h.backend("b1", false);
        LoadBalancer lb = h.start(b -> { });
        String text = h.get(lb, "/metrics").body();
        double open = LbHarness.metric(text, "process_open_fds");
        double max = LbHarness.metric(text, "process_max_fds");
        assertThat(open).isPositive();
        assertThat(max).isGreaterThan(open);
        assertThat(LbHarness.metric(text, "jvm_threads_current")).isPositive();
        assertThat(text).contains("jvm_memory_used_bytes{area=\"heap\"}");
        assertThat(text).contains("process_cpu_seconds_total");
        Matcher m = Pattern.compile("stickyring_build_info\\{[^}]*version=\"([^\"]+)\"[^}]*} 1(\\.0)?\\n").matcher(text);
        assertThat(m.find()).as("stickyring_build_info in:%n%s", text).isTrue();
        assertThat(m.group(1)).matches("\\d+\\.\\d+\\.\\d+.*");
    }
}
