package io.stickyring.lb.admin;

import io.stickyring.lb.metrics.LbMetrics;
import io.stickyring.lb.route.CloseReason;
import io.stickyring.lb.route.MemberRuntime;
import io.stickyring.lb.route.RoutingTable;
import io.stickyring.membership.MemberState;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stats page of the admin port, HAProxy's stats page for stickyring: {@code GET /stats} (HTML),
 * its script and style under {@code /stats/}, and {@code GET /stats.json}, the numbers the script
 * polls (every member's state, weight, health, connections, bytes, connect failures and state age,
 * plus the LB's totals). Rates are computed by the page from two polls.
 *
 * <p>Invariants: the three files are read from the jar once, at start, so the page needs nothing
 * from outside the LB; a member's id, address and zone reach the browser only inside JSON and are
 * put into the page as text nodes, never as markup, and the Content-Security-Policy of every page
 * response forbids inline script and any origin but the LB's own, so a hostile member id cannot run
 * script even if it were inserted as markup.
 */
final class StatsPage {

    /** The policy sent with the page and its files: only this LB's own script, style and JSON. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    record File(byte[] bytes, String contentType) { }

    private static final Map<String, File> FILES = Map.of(
            "/stats", load("stats.html", "text/html; charset=utf-8"),
            "/stats/stats.js", load("stats.js", "text/javascript; charset=utf-8"),
            "/stats/stats.css", load("stats.css", "text/css; charset=utf-8"));

    private final AdminApi api;
    private final long startedMillis = System.currentTimeMillis();

    StatsPage(AdminApi api) {
        this.api = api;
    }

    /** Whether {@code path} belongs to the stats page (the page, its files or its JSON). */
    static boolean handles(String path) {
        return path.equals("/stats") || path.equals("/stats/") || path.startsWith("/stats/") || path.equals("/stats.json");
    }

    /** The page or one of its files; null for any other path. */
    static File file(String path) {
        return FILES.get(path.equals("/stats/") ? "/stats" : path);
    }

    /** The body of {@code /stats.json}: one routing-table snapshot, so states, weights and shares agree. */
    Map<String, Object> snapshot() {
        LbMetrics metrics = api.metrics();
        RoutingTable t = api.router().table();
        Map<String, Double> shares = t.shares();
        List<Map<String, Object>> members = new ArrayList<>();
        for (MemberRuntime m : t.members()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("id", m.id());
            e.put("address", m.member().address());
            e.put("zone", m.member().zone());
            e.put("state", m.displayState());
            e.put("weight", m.member().weight());
            e.put("share", shares.getOrDefault(m.id(), 0.0));
            // MAINT members are not checked: their health is shown as such, never as DOWN.
            e.put("health", m.member().state() == MemberState.MAINT ? "NOT CHECKED" : m.up() ? "UP" : "DOWN");
            e.put("connectStreak", m.health().connectStreak());
            e.put("connections", m.activeConnections());
            e.put("bytesToMember", (long) m.bytesToMember.get());
            e.put("bytesFromMember", (long) m.bytesFromMember.get());
            e.put("connectFailures", (long) m.connectFailures.get());
            LbMetrics.StateSince since = metrics.stateSince(m.id());
            e.put("stateSince", since == null ? null : since.sinceMillis());
            members.add(e);
        }
        long rejected = 0;
        for (String reason : LbMetrics.REJECT_REASONS) {
            rejected += (long) metrics.rejected.labelValues(reason).get();
        }
        long closed = 0;
        for (CloseReason r : CloseReason.values()) {
            closed += (long) metrics.closedBy(r).get();
        }
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("accepted", (long) metrics.accepted.get());
        totals.put("active", (long) metrics.active.get());
        totals.put("rejected", rejected);
        totals.put("closed", closed);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("now", System.currentTimeMillis());
        body.put("startedAt", startedMillis);
        body.put("version", LbMetrics.VERSION);
        body.put("viewVersion", t.view().version());
        body.put("stale", t.view().stale());
        body.put("algorithm", t.hash() == null ? null : t.hash().algorithm());
        body.put("ringMembers", t.ring().length);
        body.put("totals", totals);
        body.put("members", members);
        body.put("badMembers", api.badMembers().get());
        return body;
    }

    private static File load(String name, String type) {
        try (InputStream in = StatsPage.class.getResourceAsStream("stats/" + name)) {
            if (in == null) {
                throw new IllegalStateException("stats/" + name + " is missing from the lb jar");
            }
            return new File(in.readAllBytes(), type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
