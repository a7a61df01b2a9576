package io.stickyring.chat.server;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.stickyring.chat.store.StoreMetrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The node's Prometheus metrics, in a registry of its own (several nodes can share a JVM in tests
 * and in the demo). Names are documented in docs/chat-node.md.
 */
public final class ChatMetrics implements StoreMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();

    final Gauge connections = Gauge.builder().name("stickyring_chat_connections")
            .help("Open TCP connections (HTTP and WebSocket)").register(registry);
    final Gauge sessions = Gauge.builder().name("stickyring_chat_sessions")
            .help("Authenticated WebSocket sessions").register(registry);
    final Counter tcpAccepted = Counter.builder().name("stickyring_chat_tcp_accepted")
            .help("TCP connections accepted: one client handshake each (WebSocket, long poll, poll)").register(registry);
    final Counter httpRequests = Counter.builder().name("stickyring_chat_http_requests")
            .help("HTTP requests, by route (ws = WebSocket upgrade, static = web client files)").labelNames("route").register(registry);
    final Counter polls = Counter.builder().name("stickyring_chat_polls")
            .help("/api/poll answers, by result (empty or messages)").labelNames("result").register(registry);
    final Counter connectionsRejected = Counter.builder().name("stickyring_chat_connections_rejected")
            .help("Connections closed at accept because max connections was reached").register(registry);
    final Counter framesIn = Counter.builder().name("stickyring_chat_frames_in")
            .help("Client frames received, by type").labelNames("type").register(registry);
    final Counter framesOut = Counter.builder().name("stickyring_chat_frames_out")
            .help("Server frames sent, by type").labelNames("type").register(registry);
    final Counter messagesStored = Counter.builder().name("stickyring_chat_messages_stored")
            .help("Messages durably appended (first sends, not resends)").register(registry);
    final Counter dedupHits = Counter.builder().name("stickyring_chat_dedup_hits")
            .help("Sends recognised as resends of a stored (sender, id)").register(registry);
    final Counter syncBatches = Counter.builder().name("stickyring_chat_sync_batches")
            .help("Inbox batches read from the store for replay (hello, sync, gap, lag)").register(registry);
    final Counter inboxCache = Counter.builder().name("stickyring_chat_inbox_cache")
            .help("Inbox reads (replay, poll) served from the recent-message cache (hit) or the store (miss)")
            .labelNames("result").register(registry);
    final Counter rejections = Counter.builder().name("stickyring_chat_rejections")
            .help("Requests refused, by error code").labelNames("code").register(registry);
    final Counter groupChangesReceived = Counter.builder().name("stickyring_chat_group_changes_received")
            .help("Group membership changes (leaves) on other nodes heard through the bus; each dropped a cached member list")
            .register(registry);
    final Counter closes = Counter.builder().name("stickyring_chat_closes")
            .help("Connections closed by the node, by reason (WebSocket and HTTP)").labelNames("reason").register(registry);
    final Histogram ackLatency = Histogram.builder().name("stickyring_chat_ack_latency_seconds")
            .help("From send received to ack written (includes the durable commit)")
            .classicOnly().classicUpperBounds(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
            .register(registry);
    final Histogram commitLatency = Histogram.builder().name("stickyring_chat_commit_latency_seconds")
            .help("Store transaction + commit (fsync) time per batch")
            .classicOnly().classicUpperBounds(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1)
            .register(registry);
    final Histogram commitBatch = Histogram.builder().name("stickyring_chat_commit_batch_size")
            .help("Operations per store commit (group commit)")
            .classicOnly().classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
            .register(registry);

    /** Close reasons exported (at 0) from start: the ones docs/chat-node.md and the alerts name. */
    static final java.util.List<String> CLOSE_REASONS = java.util.List.of("slow_consumer", "pong_timeout", "bad_token",
            "hello_timeout", "too_big", "per_ip_limit", "restart", "store", "not_authenticated", "protocol", "binary",
            "untrusted_proxy_header");

    public ChatMetrics() {
        // Labelled counters exist from start (every error code, the close reasons, cache results, the
        // bad frame types), so a scrape shows them with HELP/TYPE and alerts see the first event.
        for (java.lang.reflect.Field f : io.stickyring.chat.protocol.ErrorCodes.class.getFields()) {
            if (f.getType() == String.class && java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                try {
                    rejections.labelValues((String) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        CLOSE_REASONS.forEach(r -> closes.labelValues(r));
        inboxCache.labelValues("hit");
        inboxCache.labelValues("miss");
        framesIn.labelValues("invalid");
        framesIn.labelValues("unknown");
        framesOut.labelValues("error");
        JvmMetrics.builder().register(registry);
        if (io.netty.buffer.ByteBufAllocator.DEFAULT instanceof io.netty.buffer.ByteBufAllocatorMetricProvider p) {
            GaugeWithCallback.builder().name("stickyring_chat_netty_direct_memory_bytes")
                    .help("Direct memory held by Netty's default buffer allocator")
                    .callback(cb -> cb.call(p.metric().usedDirectMemory())).register(registry);
        }
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    @Override
    public void committed(int batchSize, long nanos) {
        commitLatency.observe(nanos / 1e9);
        commitBatch.observe(batchSize);
    }

    @Override
    public void dedupHit() {
        dedupHits.inc();
    }

    void reject(String code) {
        rejections.labelValues(code).inc();
    }

    /** The Prometheus text exposition (format 0.0.4). */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}
