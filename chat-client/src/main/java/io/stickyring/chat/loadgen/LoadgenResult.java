package io.stickyring.chat.loadgen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of a run: totals, correctness counts and latency percentiles (milliseconds).
 * {@code lost} = deliveries expected for acked messages that no recipient saw; {@code duplicated}
 * = a recipient saw the same client id twice (two stored copies of one send); {@code outOfOrder}
 * = a recipient saw a sender's messages in a conversation out of send order.
 */
public record LoadgenResult(Map<String, Object> config, long sent, long acked, long unacked, long failed,
                            long expectedDeliveries, long delivered, long lost, long duplicated, long outOfOrder,
                            long redeliveriesSuppressed, long reconnects, long connectFailures, double seconds,
                            double sendsPerSecond, Map<String, Double> ackLatencyMs, Map<String, Double> e2eLatencyMs) {

    public boolean correct() {
        return lost == 0 && duplicated == 0 && outOfOrder == 0 && unacked == 0;
    }

    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config", config);
        m.put("sent", sent);
        m.put("acked", acked);
        m.put("unacked", unacked);
        m.put("failed", failed);
        m.put("expected_deliveries", expectedDeliveries);
        m.put("delivered", delivered);
        m.put("lost", lost);
        m.put("duplicated", duplicated);
        m.put("out_of_order", outOfOrder);
        m.put("redeliveries_suppressed", redeliveriesSuppressed);
        m.put("reconnects", reconnects);
        m.put("connect_failures", connectFailures);
        m.put("seconds", seconds);
        m.put("sends_per_second", sendsPerSecond);
        m.put("ack_latency_ms", ackLatencyMs);
        m.put("e2e_latency_ms", e2eLatencyMs);
        m.put("correct", correct());
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public String toTable() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-26s %s%n", "config", config));
        row(sb, "duration (s)", String.format(Locale.ROOT, "%.1f", seconds));
        row(sb, "sent / acked", sent + " / " + acked);
        row(sb, "sends/s (acked)", String.format(Locale.ROOT, "%.0f", sendsPerSecond));
        row(sb, "unacked / refused", unacked + " / " + failed);
        row(sb, "deliveries expected", Long.toString(expectedDeliveries));
        row(sb, "deliveries seen", Long.toString(delivered));
        row(sb, "LOST", Long.toString(lost));
        row(sb, "DUPLICATED", Long.toString(duplicated));
        row(sb, "OUT OF ORDER", Long.toString(outOfOrder));
        row(sb, "redeliveries suppressed", Long.toString(redeliveriesSuppressed));
        row(sb, "reconnects", Long.toString(reconnects));
        row(sb, "connect failures", Long.toString(connectFailures));
        if (config.get("wire") instanceof Map<?, ?> w) {
            row(sb, "transport", String.valueOf(config.get("transport")));
            row(sb, "per message sent", String.format(Locale.ROOT, "%.2f TCP handshakes, %.2f HTTP requests, %.0f bytes on the wire",
                    w.get("tcp_connections_per_msg"), w.get("http_requests_per_msg"), w.get("bytes_per_msg")));
            row(sb, "empty polls", String.format(Locale.ROOT, "%.1f%% of %s", 100 * (Double) w.get("empty_poll_share"), w.get("polls")));
        }
        sb.append(String.format(Locale.ROOT, "%-26s %8s %8s %8s %8s %8s%n", "latency (ms)", "p50", "p90", "p99", "p99.9", "max"));
        lat(sb, "ack (send -> ack)", ackLatencyMs);
        lat(sb, "end-to-end (send -> msg)", e2eLatencyMs);
        row(sb, "result", correct() ? "OK: zero lost, duplicated, out of order" : "FAILED");
        return sb.toString();
    }

    private static void row(StringBuilder sb, String k, String v) {
        sb.append(String.format(Locale.ROOT, "%-26s %s%n", k, v));
    }

    private static void lat(StringBuilder sb, String k, Map<String, Double> p) {
        sb.append(String.format(Locale.ROOT, "%-26s %8.2f %8.2f %8.2f %8.2f %8.2f%n", k, p.get("p50"), p.get("p90"),
                p.get("p99"), p.get("p99.9"), p.get("max")));
    }
}
