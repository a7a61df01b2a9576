package io.stickyring.lb.route;

import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.metrics.LbMetrics;
import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.MembershipView;
import io.stickyring.ring.BoundedLoadHash;
import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.KeySpace;
import io.stickyring.ring.LoadSource;
import io.stickyring.ring.Node;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the routing snapshot and every change to it: membership views, local health (passive
 * marking with backoff, active check results), draining and slow start.
 *
 * <p>Invariants: (1) picks never lock: {@link #first} and {@link #candidates} read the one volatile {@link #table}
 * field once; (2) every change builds a new {@link RoutingTable} and publishes it <em>before</em>
 * closing any connection, so nothing is routed to a member while its connections are being closed;
 * (3) a change to one member closes only that member's connections (and only when the policy says
 * so: removed or down with close-on-down, or DRAINING past the drain timeout); (4) mutations are
 * serialized by this object's monitor and are rare (view and health changes), never on the data path.
 */
public final class Router {

    private static final Logger log = LoggerFactory.getLogger(Router.class);
    private static final MemberRuntime[] NONE = new MemberRuntime[0];
    /** Preference entries examined per pick: enough to skip many down or full members. */
    private static final int MAX_PREFERENCE = 32;
    /** Keys sampled to estimate the key space moved in /whatif. */
    static final int SHARE_SAMPLES = 100_000;

    private final LbConfig config;
    private final HashFactory hashFactory;
    private final LbMetrics metrics;
    private final ScheduledExecutorService control;
    private final LongSupplier nanoClock;
    private final boolean activeChecks;

    private volatile RoutingTable table;
    /** Told of every newly published table (the nft data plane mirrors it into the kernel). */
    private volatile Consumer<RoutingTable> onPublish = t -> { };
    private final Map<String, MemberRuntime> members = new ConcurrentHashMap<>();
    private MembershipView view;

    public Router(LbConfig config, HashFactory hashFactory, LbMetrics metrics, ScheduledExecutorService control,
                  LongSupplier nanoClock, boolean activeChecks) {
        this.config = config;
        this.hashFactory = hashFactory;
        this.metrics = metrics;
        this.control = control;
        this.nanoClock = nanoClock;
        this.activeChecks = activeChecks;
        this.table = new RoutingTable(MembershipView.of(0, List.of()), null, null, NONE, List.of());
    }

    /** The current snapshot (one volatile read). */
    public RoutingTable table() {
        return table;
    }

    /**
     * Registers the one consumer told of each table right after it is published (under this object's
     * monitor, so it must only hand the table off, never block).
     */
    public void onPublish(Consumer<RoutingTable> listener) {
        this.onPublish = listener;
    }

    public MemberRuntime member(String id) {
        return members.get(id);
    }

    // ---------------------------------------------------------------- picks (any thread, lock-free)

    /**
     * The members to try for {@code key}, best first, at most {@code connectTries} of them: the
     * key's preference order minus members that are down, full ({@code --max-connections-per-member}),
     * over the bounded-load cap ({@code --balance-factor}) or not yet admitting this key during slow
     * start. Empty when no member can take the connection.
     */
    public MemberRuntime[] candidates(long key) {
        return candidates(key, config.connectTries());
    }

    private MemberRuntime[] candidates(long key, int limit) {
        RoutingTable t = table;
        if (t.hash() == null) {
            return NONE;
        }
        MemberRuntime[] ring = t.ring();
        int[] pref = new int[Math.min(ring.length, MAX_PREFERENCE)];
        int k = t.hash().preference(key, pref);
        MemberRuntime[] out = new MemberRuntime[Math.min(limit, k)];
        int maxPer = config.maxConnectionsPerMember();
        BoundedLoadHash bounded = t.bounded();
        int total = bounded == null ? 0 : totalActive(ring);
        long now = config.slowStart().isZero() ? 0 : nanoClock.getAsLong();
        int c = 0;
        for (int i = 0; i < k && c < out.length; i++) {
            MemberRuntime m = ring[pref[i]];
            int a = m.activeConnections();
            if (m.up() && (maxPer == 0 || a < maxPer) && (bounded == null || a < bounded.capacity(pref[i], total))
                    && slowStartAdmits(m, key, now)) {
                out[c++] = m;
            }
        }
        if (c == 0) {
            // Slow start and bounded loads shape load; they never refuse service on their own.
            for (int i = 0; i < k && c < out.length; i++) {
                MemberRuntime m = ring[pref[i]];
                if (m.up() && (maxPer == 0 || m.activeConnections() < maxPer)) {
                    out[c++] = m;
                }
            }
        }
        return c == out.length ? out : Arrays.copyOf(out, c);
    }

    /**
     * The member a new connection for {@code key} tries first: the same answer as
     * {@code candidates(key)[0]}, computed lazily through {@link ConsistentHash#firstAccepted} so an
     * accepted owner costs one ring lookup and no array. Null when no member can take it.
     */
    public MemberRuntime first(long key) {
        RoutingTable t = table;
        if (t.hash() == null) {
            return null;
        }
        MemberRuntime[] ring = t.ring();
        int maxPer = config.maxConnectionsPerMember();
        BoundedLoadHash bounded = t.bounded();
        int total = bounded == null ? 0 : totalActive(ring);
        long now = config.slowStart().isZero() ? 0 : nanoClock.getAsLong();
        int idx = t.hash().firstAccepted(key, i -> {
            MemberRuntime m = ring[i];
            int a = m.activeConnections();
            return m.up() && (maxPer == 0 || a < maxPer) && (bounded == null || a < bounded.capacity(i, total))
                    && slowStartAdmits(m, key, now);
        });
        if (idx < 0) {
            idx = t.hash().firstAccepted(key, i -> ring[i].up() && (maxPer == 0 || ring[i].activeConnections() < maxPer));
        }
        return idx < 0 ? null : ring[idx];
    }

    /**
     * The next member to try after a failed connect: the first of the key's current candidates not
     * yet tried (the failed member may not be marked down yet). Null when none is left.
     */
    public MemberRuntime next(long key, MemberRuntime[] tried, int triedCount) {
        for (MemberRuntime m : candidates(key, MAX_PREFERENCE)) {
            boolean seen = false;
            for (int i = 0; i < triedCount && !seen; i++) {
                seen = tried[i] == m;
            }
            if (!seen) {
                return m;
            }
        }
        return null;
    }

    /**
     * Bounded loads: the capacity formula is membership's {@link BoundedLoadHash#capacity} (Mirrokni,
     * Thorup, Zadimoghaddam, SODA 2018), applied here together with the other pick filters.
     */
    private static int totalActive(MemberRuntime[] ring) {
        int total = 0;
        for (MemberRuntime m : ring) {
            total += m.activeConnections();
        }
        return total;
    }

    /**
     * During slow start a member admits a growing, stable subset of its keys: key k is admitted once
     * elapsed/period exceeds a uniform fraction derived from k, so an admitted key stays admitted.
     */
    private boolean slowStartAdmits(MemberRuntime m, long key, long now) {
        long begin = m.slowStartBeginNanos();
        if (begin == 0) {
            return true;
        }
        long period = config.slowStart().toNanos();
        long elapsed = now - begin;
        if (elapsed >= period) {
            m.setSlowStartBeginNanos(0);
            return true;
        }
        double progress = (double) elapsed / period;
        return unitFraction(key) < progress;
    }

    /** MurmurHash3 fmix64 finalizer (Appleby, public domain) mapped to [0,1): decorrelates from ring position. */
    static double unitFraction(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return (k >>> 11) * 0x1.0p-53;
    }

    // ---------------------------------------------------------------- changes (rare, serialized)

    /** Applies a membership view: adds, updates and removes runtimes, rebuilds, then closes what must close. */
    public synchronized void applyView(MembershipView v) {
        metrics.viewStale.set(v.stale() ? 1 : 0);
        if (view != null && view.version() == v.version() && view.members().equals(v.members())) {
            // same members, only the staleness mark changed: republish without rebuilding the ring
            view = v;
            RoutingTable t = table;
            table = new RoutingTable(v, t.hash(), t.bounded(), t.ring(), t.members());
            return;
        }
        boolean initial = view == null;
        Map<String, Member> incoming = new HashMap<>();
        for (Member m : v.members()) {
            incoming.put(m.id(), m);
            MemberRuntime rt = members.get(m.id());
            if (rt == null) {
                rt = new MemberRuntime(m, metrics);
                rt.setCloseOnDown(!config.keepConnectionsOnDown());
                if (!initial && !config.slowStart().isZero()) {
                    rt.setSlowStartBeginNanos(nonZero(nanoClock.getAsLong()));
                }
                members.put(m.id(), rt);
                metrics.memberUp.labelValues(m.id()).set(1);
                log.info("member {} joined at {}", m.id(), m.address());
            } else {
                rt.update(m);
            }
            scheduleDrain(rt, m.state() == MemberState.DRAINING);
            metrics.setMemberState(m.id(), rt.displayState());
        }
        List<MemberRuntime> removed = new ArrayList<>();
        for (MemberRuntime rt : members.values()) {
            if (!incoming.containsKey(rt.id())) {
                rt.leaveView();
                cancel(rt);
                removed.add(rt);
            }
        }
        view = v;
        for (MemberRuntime rt : removed) {
            members.remove(rt.id());
        }
        rebuild();
        for (MemberRuntime rt : removed) {
            metrics.removeMember(rt.id());
            log.info("member {} left the view with {} connections ({})", rt.id(), rt.activeConnections(),
                    config.keepConnectionsOnDown() ? "kept" : "closing");
            if (!config.keepConnectionsOnDown()) {
                closeAll(rt, CloseReason.MEMBER_REMOVED);
            }
        }
    }

    private void scheduleDrain(MemberRuntime rt, boolean draining) {
        if (draining && rt.drainTimer == null && !config.drainTimeout().isZero()) {
            rt.drainTimer = control.schedule(() -> drainTimedOut(rt), config.drainTimeout().toMillis(),
                    TimeUnit.MILLISECONDS);
        } else if (!draining && rt.drainTimer != null) {
            rt.drainTimer.cancel(false);
            rt.drainTimer = null;
        }
    }

    private synchronized void drainTimedOut(MemberRuntime rt) {
        if (rt.inView() && rt.draining()) {
            log.info("member {} drain timeout: closing {} connections", rt.id(), rt.activeConnections());
            closeAll(rt, CloseReason.DRAIN_TIMEOUT);
        }
    }

    /** Marks a member down locally: rebuilds without it, then closes its connections unless kept. */
    public synchronized void markDown(MemberRuntime rt, String why) {
        if (!rt.up() || !rt.inView()) {
            return;
        }
        rt.setUp(false);
        rt.setSlowStartBeginNanos(0);
        metrics.memberUp.labelValues(rt.id()).set(0);
        metrics.setMemberState(rt.id(), rt.displayState());
        log.warn("member {} marked down ({}); {} connections {}", rt.id(), why, rt.activeConnections(),
                config.keepConnectionsOnDown() ? "kept" : "closing");
        rebuild();
        if (!config.keepConnectionsOnDown()) {
            closeAll(rt, CloseReason.MEMBER_DOWN);
        }
    }

    /** Marks a member up again; with {@code --slow-start} it takes its keys back gradually. */
    public synchronized void markUp(MemberRuntime rt, String why) {
        if (rt.up() || !rt.inView()) {
            return;
        }
        rt.setUp(true);
        if (!config.slowStart().isZero()) {
            rt.setSlowStartBeginNanos(nonZero(nanoClock.getAsLong()));
        }
        metrics.memberUp.labelValues(rt.id()).set(1);
        metrics.setMemberState(rt.id(), rt.displayState());
        log.info("member {} marked up ({})", rt.id(), why);
        rebuild();
    }

    /**
     * Passive health: a failed connect marks the member down for a backoff that doubles with each
     * consecutive failure (downBackoffMin, 2x, 4x ... capped at downBackoffMax). Without active checks
     * the member is tried again when the backoff ends; with them, only after {@code rise} passing checks.
     */
    public void connectFailed(MemberRuntime rt) {
        rt.connectFailures.inc();
        int streak = rt.consecutiveConnectFailures.incrementAndGet();
        control.execute(() -> {
            synchronized (this) {
                if (!rt.inView()) {
                    return;
                }
                long min = config.downBackoffMin().toMillis();
                long backoff = Math.min(config.downBackoffMax().toMillis(), min << Math.min(20, streak - 1));
                markDown(rt, "connect failed, " + streak + " in a row; backoff " + backoff + "ms");
                if (!activeChecks) {
                    if (rt.recoveryTimer != null) {
                        rt.recoveryTimer.cancel(false);
                    }
                    rt.recoveryTimer = control.schedule(() -> markUp(rt, "backoff ended"), backoff, TimeUnit.MILLISECONDS);
                }
            }
        });
    }

    /** One active health check result; flips state after {@code rise} passes or {@code fall} failures in a row. */
    public synchronized void checkResult(MemberRuntime rt, boolean ok) {
        if (!rt.inView()) {
            return;
        }
        if (ok) {
            rt.checkFailures = 0;
            rt.checkSuccesses++;
            if (!rt.up() && rt.checkSuccesses >= config.healthRise()) {
                rt.consecutiveConnectFailures.set(0);
                markUp(rt, rt.checkSuccesses + " health checks passed");
            }
        } else {
            rt.checkSuccesses = 0;
            rt.checkFailures++;
            if (rt.up() && rt.checkFailures >= config.healthFall()) {
                markDown(rt, rt.checkFailures + " health checks failed");
            }
        }
    }

    private void closeAll(MemberRuntime rt, CloseReason reason) {
        for (TrackedConnection c : List.copyOf(rt.connections())) {
            c.close(reason);
        }
    }

    private void cancel(MemberRuntime rt) {
        if (rt.drainTimer != null) {
            rt.drainTimer.cancel(false);
        }
        if (rt.recoveryTimer != null) {
            rt.recoveryTimer.cancel(false);
        }
    }

    private static long nonZero(long nanos) {
        return nanos == 0 ? 1 : nanos;
    }

    /** Builds the ring of ACTIVE, up members and publishes the new table. Caller holds the monitor. */
    private void rebuild() {
        long t0 = System.nanoTime();
        List<MemberRuntime> all = new ArrayList<>(members.values());
        all.sort(Comparator.comparing(MemberRuntime::id));
        List<Node> nodes = new ArrayList<>();
        for (MemberRuntime rt : all) {
            if (rt.up() && rt.member().state() == MemberState.ACTIVE) {
                nodes.add(new Node(rt.id(), rt.member().weight()));
            }
        }
        ConsistentHash hash;
        try {
            hash = nodes.isEmpty() ? null : hashFactory.build(config.algorithm(), nodes);
        } catch (IllegalArgumentException e) {
            // A member set the algorithm refuses (e.g. total weight beyond the ring's point cap): keep
            // routing with the last good table instead of failing the view or health change half-way.
            metrics.ringBuildFailures.inc();
            log.error("cannot build the {} ring of {} members, keeping the previous ring: {}",
                    config.algorithm(), nodes.size(), e.getMessage());
            return;
        }
        MemberRuntime[] ring = NONE;
        if (hash != null) {
            List<Node> order = hash.nodes();
            ring = new MemberRuntime[order.size()];
            for (int i = 0; i < ring.length; i++) {
                ring[i] = members.get(order.get(i).id());
            }
        }
        BoundedLoadHash bounded = null;
        if (hash != null && config.balanceFactor() > 0) {
            MemberRuntime[] r = ring;
            bounded = new BoundedLoadHash(hash, config.balanceFactor(), new LoadSource() {
                @Override
                public int load(int index) {
                    return r[index].activeConnections();
                }

                @Override
                public int total() {
                    return totalActive(r);
                }
            });
        }
        table = new RoutingTable(view, hash, bounded, ring, List.copyOf(all));
        onPublish.accept(table);
        metrics.ringRebuilds.inc();
        metrics.ringRebuildSeconds.observe((System.nanoTime() - t0) / 1e9);
        metrics.ringMembers.set(ring.length);
        metrics.viewVersion.set(view.version());
        for (MemberRuntime rt : all) {
            metrics.setMemberState(rt.id(), rt.displayState());
        }
    }

    // ---------------------------------------------------------------- admin queries

    /** Share of the key space per member of the current ring (exact for ring and Maglev). */
    public Map<String, Double> shares() {
        RoutingTable t = table;
        if (t.hash() == null) {
            return Map.of();
        }
        double[] sh = t.hash().shares();
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < sh.length; i++) {
            out.put(t.hash().nodes().get(i).id(), sh[i]);
        }
        return out;
    }

    /** Result of {@link #whatIf}. */
    public record WhatIf(List<String> ringBefore, List<String> ringAfter, double keySpaceMoved,
                         int liveConnectionsRemapped, int liveConnectionsOnRemoved, int samples) {
    }

    /**
     * Predicts the effect of removing member {@code removeId} and/or adding {@code add}: the fraction
     * of the key space whose owner changes (sampled), the live connections whose key would map to a
     * different member (they stay where they are, but would land elsewhere on reconnect), and the live
     * connections on the removed member (closed on removal by default).
     */
    public WhatIf whatIf(String removeId, Node add) {
        RoutingTable t = table;
        List<Node> before = t.hash() == null ? List.of() : t.hash().nodes();
        List<Node> after = new ArrayList<>();
        for (Node n : before) {
            if (!n.id().equals(removeId) && (add == null || !n.id().equals(add.id()))) {
                after.add(n);
            }
        }
        if (add != null) {
            after.add(add);
        }
        ConsistentHash b = t.hash();
        ConsistentHash a = after.isEmpty() ? null : hashFactory.build(config.algorithm(), after);
        // the same sampled estimate ring-sim reports (membership's KeySpace), so the two tools agree
        double moved = b == null && a == null ? 0 : b == null || a == null ? 1 : KeySpace.movedFraction(b, a, SHARE_SAMPLES);
        int remapped = 0;
        int onRemoved = 0;
        for (MemberRuntime rt : t.members()) {
            boolean isRemoved = rt.id().equals(removeId);
            for (TrackedConnection c : rt.connections()) {
                if (isRemoved) {
                    onRemoved++;
                } else if (a == null || !a.owner(c.key()).id().equals(rt.id())) {
                    remapped++;
                }
            }
        }
        return new WhatIf(before.stream().map(Node::id).toList(), after.stream().map(Node::id).sorted().toList(),
                moved, remapped, onRemoved, SHARE_SAMPLES);
    }

    /** Where a key goes now: its owner and fallbacks in the ring, and the members a new connection would try. */
    public record Lookup(long key, String owner, List<String> preference, List<String> candidates) {
    }

    public Lookup lookup(long key) {
        RoutingTable t = table;
        if (t.hash() == null) {
            return new Lookup(key, null, List.of(), List.of());
        }
        int[] pref = new int[t.ring().length];
        int k = t.hash().preference(key, pref);
        List<String> p = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            p.add(t.ring()[pref[i]].id());
        }
        List<String> cands = Arrays.stream(candidates(key)).map(MemberRuntime::id).toList();
        return new Lookup(key, p.get(0), p, cands);
    }
}
