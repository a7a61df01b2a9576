package io.stickyring.lb.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.stickyring.lb.route.CloseReason;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import java.io.InputStream;
import java.util.Properties;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Every Prometheus metric the load balancer exposes, in one registry per LB instance (so several
 * instances in one JVM, as in tests, do not share counters).
 *
 * <p>Invariant: per-member series exist exactly while the member is in the view; {@link
 * #removeMember} drops them when it leaves. Names are listed in docs/lb.md.
 */
public final class LbMetrics {

    private final PrometheusRegistry registry = new PrometheusRegistry();

    public final Counter accepted = Counter.builder().name("stickyring_lb_connections_accepted_total")
            .help("Client connections accepted by the listener").withoutExemplars().register(registry);
    public final Gauge active = Gauge.builder().name("stickyring_lb_connections_active")
            .help("Client connections currently open").withoutExemplars().register(registry);
    /** Every reason a connection is refused for; each is exported (at 0) from start, as docs/lb.md lists them. */
    public static final java.util.List<String> REJECT_REASONS = java.util.List.of("max_connections", "per_ip", "accept_rate",
            "no_member", "member_full", "connect_failed", "shutdown", "bad_proxy_header", "proxy_header_timeout");
    public final Counter rejected = Counter.builder().name("stickyring_lb_connections_rejected_total")
            .help("Client connections refused, by reason (" + String.join(", ", REJECT_REASONS)
                    + "); a refused connection is counted here only, not in closed_total")
            .labelNames("reason").register(registry);
    public final Counter closed = Counter.builder().name("stickyring_lb_connections_closed_total")
            .help("Proxied connections closed, by who closed and why (refused ones are in rejected_total)")
            .labelNames("reason").withoutExemplars().register(registry);
    public final Counter pickRetries = Counter.builder().name("stickyring_lb_pick_retries_total")
            .help("Connect attempts to a key's next member after a failed connect").register(registry);

    public final Gauge memberActive = Gauge.builder().name("stickyring_lb_member_connections_active")
            .help("Open proxied connections per member").labelNames("member").withoutExemplars().register(registry);
    public final Counter memberConnectFailures = Counter.builder().name("stickyring_lb_member_connect_failures_total")
            .help("Failed connects per member").labelNames("member").register(registry);
    public final Counter memberBytes = Counter.builder().name("stickyring_lb_member_bytes_total")
            .help("Bytes proxied per member; direction=to_member (client to member) or from_member")
            .labelNames("member", "direction").withoutExemplars().register(registry);
    public final Gauge memberUp = Gauge.builder().name("stickyring_lb_member_up")
            .help("1 if the member is healthy by this LB's checks, 0 if marked down").labelNames("member")
            .register(registry);
    public final Gauge memberState = Gauge.builder().name("stickyring_lb_member_state")
            .help("1 for the member's current state (ACTIVE, DRAINING, MAINT, DOWN), 0 otherwise")
            .labelNames("member", "state").register(registry);
    public final Gauge memberWeight = Gauge.builder().name("stickyring_lb_member_weight")
            .help("The member's weight in the view (its share of the key space is weight / total weight of ACTIVE members)")
            .labelNames("member").register(registry);

    public final Gauge viewVersion = Gauge.builder().name("stickyring_lb_view_version")
            .help("Version of the membership view in use").register(registry);
    public final Gauge viewStale = Gauge.builder().name("stickyring_lb_view_stale")
            .help("1 while the membership source is disconnected and the last view is kept").register(registry);
    public final Gauge viewStaleSeconds = Gauge.builder().name("stickyring_lb_view_stale_seconds")
            .help("Seconds since the view could last be refreshed (0 when fresh)").register(registry);
    public final Gauge badPayloads = Gauge.builder().name("stickyring_lb_membership_bad_payloads")
            .help("Distinct unreadable member payloads the membership source has left out of views").register(registry);
    public final Gauge ringMembers = Gauge.builder().name("stickyring_lb_ring_members")
            .help("Members in the current ring (ACTIVE and healthy)").register(registry);
    public final Counter ringRebuilds = Counter.builder().name("stickyring_lb_ring_rebuilds_total")
            .help("Rings built (one per view or health change)").register(registry);
    public final Counter ringBuildFailures = Counter.builder().name("stickyring_lb_ring_build_failures_total")
            .help("Member sets the algorithm refused to build a ring for; the previous ring stays in use").register(registry);
    public final Histogram ringRebuildSeconds = Histogram.builder().name("stickyring_lb_ring_rebuild_seconds")
            .help("Time to build one ring").classicOnly()
            .classicUpperBounds(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1).register(registry);

    private static final String[] STATES = {"ACTIVE", "DRAINING", "MAINT", "DOWN"};

    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final java.util.concurrent.ConcurrentHashMap<String, StateSince> stateSince = new java.util.concurrent.ConcurrentHashMap<>();
    private final CounterDataPoint[] closedByReason = new CounterDataPoint[CloseReason.values().length];

    public LbMetrics() {
        for (CloseReason r : CloseReason.values()) {
            closedByReason[r.ordinal()] = closed.labelValues(r.label());
        }
        // From start, so rate() and the "limits hit" alert see the first refusal, not a new series.
        REJECT_REASONS.forEach(r -> rejected.labelValues(r));
        // process_* (open_fds against max_fds is the LB's first alarm: 2 descriptors per proxied connection)
        // and jvm_* (heap, GC, threads, buffer pools)
        JvmMetrics.builder().register(registry);
        Info.builder().name("stickyring_build_info").help("Version of the running stickyring build")
                .labelNames("version", "java_version").register(registry)
                .addLabelValues(VERSION, System.getProperty("java.version"));
    }

    /** The project version, from build.properties (filtered by Maven at build time). */
    public static final String VERSION = readVersion();

    private static String readVersion() {
        Properties p = new Properties();
        try (InputStream in = LbMetrics.class.getResourceAsStream("/io/stickyring/lb/build.properties")) {
            if (in == null) {
                throw new IllegalStateException("build.properties is missing from the lb jar");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("version");
    }

    /** The closed-connections counter for one reason (cached: no label lookup per close). */
    public CounterDataPoint closedBy(CloseReason reason) {
        return closedByReason[reason.ordinal()];
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** Drops every per-member series of {@code id}. */
    public void removeMember(String id) {
        memberActive.remove(id);
        memberConnectFailures.remove(id);
        memberBytes.remove(id, "to_member");
        memberBytes.remove(id, "from_member");
        memberUp.remove(id);
        memberWeight.remove(id);
        stateSince.remove(id);
        for (String s : STATES) {
            memberState.remove(id, s);
        }
    }

    public void setMemberState(String id, String state) {
        for (String s : STATES) {
            memberState.labelValues(id, s).set(s.equals(state) ? 1 : 0);
        }
        stateSince.compute(id, (k, old) -> old != null && old.state().equals(state) ? old
                : new StateSince(state, System.currentTimeMillis()));
    }

    /** A member's current shown state and the wall-clock time (epoch ms) it entered it in this LB. */
    public record StateSince(String state, long sinceMillis) {
    }

    /** The last state change of every member in the view, as the stats page shows it (null for unknown ids). */
    public StateSince stateSince(String id) {
        return stateSince.get(id);
    }

    /** The Prometheus text exposition of all metrics. */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public String contentType() {
        return writer.getContentType();
    }
}
