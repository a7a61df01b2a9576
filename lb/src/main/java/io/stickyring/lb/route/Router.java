package io.stickyring.lb.route;

import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.metrics.LbMetrics;
import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.MembershipView;
import io.stickyring.ring.BoundedLoadHash;
import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.LoadSource;
import io.stickyring.ring.Node;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
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
 * Owns the routing snapshot and every change to it: membership views, local health (each member's
 * {@link MemberHealth} state machine, driven here by connect failures, check results and timers),
 * draining, maintenance and config reloads. Picks live in the snapshot ({@link RoutingTable}); the
 * pick methods here only read the current one.
 *
 * <p>Invariants: (1) picks never lock: they read the one volatile {@link #table} field once;
 * (2) every change builds a new {@link RoutingTable} and publishes it <em>before</em> closing any
 * connection, so nothing is routed to a member while its connections are being closed; (3) a change
 * to one member closes only that member's connections (and only when the policy says so: removed or
 * down with close-on-down, or DRAINING past the drain timeout); (4) mutations are serialized by this
 * object's monitor and are rare (view, health and config changes), never on the data path; (5) views
 * are applied in the order the membership source delivers them: the source owns view order.
 */
public final class Router {

    private static final Logger log = LoggerFactory.getLogger(Router.class);
    /** Keys sampled to estimate the key space moved in /whatif. */
    static final int SHARE_SAMPLES = 100_000;

    private volatile LbConfig config;
    private final HashFactory hashFactory;
    private final LbMetrics metrics;
    private final ScheduledExecutorService control;
    private final LongSupplier nanoClock;
    private final boolean activeChecks;
    private volatile HealthPolicy policy;

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
        this.policy = HealthPolicy.of(config, activeChecks);
        this.table = RoutingTable.empty(RoutingTable.Pick.of(config), nanoClock);
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

    public LbConfig config() {
        return config;
    }

    // ---------------------------------------------------------------- picks (any thread, lock-free)

    /** {@link RoutingTable#candidates(long)} of the current snapshot. */
    public MemberRuntime[] candidates(long key) {
        return table.candidates(key);
    }

    /** {@link RoutingTable#first(long)} of the current snapshot. */
    public MemberRuntime first(long key) {
        return table.first(key);
    }

    /** {@link RoutingTable#next} of the current snapshot. */
    public MemberRuntime next(long key, MemberRuntime[] tried, int triedCount) {
        return table.next(key, tried, triedCount);
    }

    // ---------------------------------------------------------------- changes (rare, serialized)

    /**
     * Applies a membership view as given: adds, updates and removes runtimes, rebuilds, then closes
     * what must close. The view's version is not compared with the current one: the source decides
     * the order (after a ZooKeeper data reset it publishes a lower version, and that view wins).
     */
    public synchronized void applyView(MembershipView v) {
        metrics.viewStale.set(v.stale() ? 1 : 0);
        if (view != null && view.version() == v.version() && view.members().equals(v.members())) {
            // same members, only the staleness mark changed: republish without rebuilding the ring
            view = v;
            table = table.withView(v);
            return;
        }
        if (view != null && v.version() < view.version()) {
            log.warn("applying view v{} after v{}: the membership source went back (ZooKeeper data reset?)",
                    v.version(), view.version());
        }
        boolean initial = view == null;
        long now = nanoClock.getAsLong();
        HealthPolicy p = policy;
        Map<String, Member> incoming = new HashMap<>();
        for (Member m : v.members()) {
            incoming.put(m.id(), m);
            MemberRuntime rt = members.get(m.id());
            if (rt == null) {
                rt = new MemberRuntime(m, metrics);
                rt.setCloseOnDown(!config.keepConnectionsOnDown());
                if (!initial) {
                    rt.health().startSlowStart(p, now);
                }
                members.put(m.id(), rt);
                log.info("member {} joined at {}", m.id(), m.address());
            } else {
                if (rt.member().state() != m.state() || rt.member().weight() != m.weight()) {
                    log.info("member {} is now {} with weight {}", m.id(), m.state(), m.weight());
                }
                rt.update(m);
            }
            rt.health().maintenance(p, m.state() == MemberState.MAINT, now);
            scheduleDrain(rt, m.state() == MemberState.DRAINING, now);
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

    /**
     * Applies a reloaded config: the pick settings, bounded loads and health policy change for every
     * later pick and event (a drain or backoff already running keeps its deadline). The caller has
     * checked that only reloadable settings differ (see docs/lb.md, "Reload").
     */
    public synchronized void reconfigure(LbConfig next) {
        config = next;
        policy = HealthPolicy.of(next, activeChecks);
        for (MemberRuntime rt : members.values()) {
            rt.setCloseOnDown(!next.keepConnectionsOnDown());
        }
        rebuild();
    }

    private void scheduleDrain(MemberRuntime rt, boolean draining, long now) {
        if (rt.health().draining(policy, draining, now)) {
            long delay = Math.max(0, rt.health().drainDeadlineNanos() - now);
            rt.drainTimer = control.schedule(() -> drainTimedOut(rt), delay, TimeUnit.NANOSECONDS);
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
        if (rt.inView()) {
            applied(rt, rt.health().forceDown(), why);
        }
    }

    /** Marks a member up again; with {@code --slow-start} it takes its keys back gradually. */
    public synchronized void markUp(MemberRuntime rt, String why) {
        if (rt.inView()) {
            applied(rt, rt.health().forceUp(policy, nanoClock.getAsLong()), why);
        }
    }

    /** Publishes the effect of a health transition: rebuild, metrics, log, and closes on DOWN. */
    private void applied(MemberRuntime rt, MemberHealth.Transition t, String why) {
        if (t == MemberHealth.Transition.NONE) {
            return;
        }
        boolean down = t == MemberHealth.Transition.DOWN;
        if (down) {
            log.warn("member {} marked down ({}); {} connections {}", rt.id(), why, rt.activeConnections(),
                    config.keepConnectionsOnDown() ? "kept" : "closing");
        } else {
            log.info("member {} marked up ({})", rt.id(), why);
        }
        rebuild();
        if (down && !config.keepConnectionsOnDown()) {
            closeAll(rt, CloseReason.MEMBER_DOWN);
        }
    }

    /**
     * Passive health: a failed connect marks the member down for a backoff that doubles with each
     * consecutive failure (downBackoffMin, 2x, 4x ... capped at downBackoffMax). Without active checks
     * the member is tried again when the backoff ends; with them, only after {@code rise} passing checks.
     */
    public void connectFailed(MemberRuntime rt) {
        rt.connectFailures.inc();
        int streak = rt.health().recordConnectFailure();
        control.execute(() -> {
            synchronized (this) {
                if (!rt.inView()) {
                    return;
                }
                long now = nanoClock.getAsLong();
                MemberHealth h = rt.health();
                boolean wasUp = h.up();
                int generation = h.connectFailed(policy, now);
                long recoverAt = h.recoverAtNanos();
                String why = "connect failed, " + streak + " in a row"
                        + (recoverAt == 0 ? "" : "; backoff " + (recoverAt - now) / 1_000_000 + "ms");
                applied(rt, wasUp && !h.up() ? MemberHealth.Transition.DOWN : MemberHealth.Transition.NONE, why);
                if (recoverAt != 0) {
                    if (rt.recoveryTimer != null) {
                        rt.recoveryTimer.cancel(false);
                    }
                    rt.recoveryTimer = control.schedule(() -> backoffEnded(rt, generation),
                            Math.max(0, recoverAt - now), TimeUnit.NANOSECONDS);
                }
            }
        });
    }

    private synchronized void backoffEnded(MemberRuntime rt, int generation) {
        if (rt.inView()) {
            applied(rt, rt.health().backoffEnded(policy, generation, nanoClock.getAsLong()), "backoff ended");
        }
    }

    /** One active health check result; flips state after {@code rise} passes or {@code fall} failures in a row. */
    public synchronized void checkResult(MemberRuntime rt, boolean ok) {
        if (rt.inView()) {
            applied(rt, rt.health().checkResult(policy, ok, nanoClock.getAsLong()),
                    ok ? policy.rise() + " health checks passed" : policy.fall() + " health checks failed");
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

    /** Builds the ring of ACTIVE, up members and publishes the new table. Caller holds the monitor. */
    private void rebuild() {
        long t0 = System.nanoTime();
        LbConfig c = config;
        List<MemberRuntime> all = new ArrayList<>(members.values());
        all.sort(Comparator.comparing(MemberRuntime::id));
        List<Node> nodes = new ArrayList<>();
        for (MemberRuntime rt : all) {
            if (rt.ready()) {
                nodes.add(new Node(rt.id(), rt.member().weight()));
            }
        }
        ConsistentHash hash;
        try {
            hash = nodes.isEmpty() ? null : hashFactory.build(c.hashConfig(), nodes);
        } catch (IllegalArgumentException e) {
            // A member set the algorithm refuses (e.g. total weight beyond the ring's point cap): keep
            // routing with the last good table instead of failing the view or health change half-way.
            metrics.ringBuildFailures.inc();
            log.error("cannot build the {} ring of {} members, keeping the previous ring: {}",
                    c.algorithm(), nodes.size(), e.getMessage());
            publishMemberMetrics(all);
            return;
        }
        MemberRuntime[] ring = new MemberRuntime[0];
        if (hash != null) {
            List<Node> order = hash.nodes();
            ring = new MemberRuntime[order.size()];
            for (int i = 0; i < ring.length; i++) {
                ring[i] = members.get(order.get(i).id());
            }
        }
        BoundedLoadHash bounded = hash != null && c.balanceFactor() > 0
                ? new BoundedLoadHash(hash, c.balanceFactor(), new LiveLoads(ring)) : null;
        table = new RoutingTable(view, hash, bounded, ring, List.copyOf(all), RoutingTable.Pick.of(c), nanoClock);
        onPublish.accept(table);
        metrics.ringRebuilds.inc();
        metrics.ringRebuildSeconds.observe((System.nanoTime() - t0) / 1e9);
        metrics.ringMembers.set(ring.length);
        metrics.viewVersion.set(view.version());
        publishMemberMetrics(all);
    }

    private void publishMemberMetrics(List<MemberRuntime> all) {
        for (MemberRuntime rt : all) {
            metrics.memberUp.labelValues(rt.id()).set(rt.up() ? 1 : 0);
            metrics.memberWeight.labelValues(rt.id()).set(rt.member().weight());
            metrics.setMemberState(rt.id(), rt.displayState());
        }
    }

    /** Live connection counts of a ring's members, as {@link BoundedLoadHash} reads them at pick time. */
    private record LiveLoads(MemberRuntime[] ring) implements LoadSource {

        @Override
        public int load(int index) {
            return ring[index].activeConnections();
        }

        @Override
        public int total() {
            int total = 0;
            for (MemberRuntime m : ring) {
                total += m.activeConnections();
            }
            return total;
        }
    }

    // ---------------------------------------------------------------- admin queries

    /** Share of the key space per member of the current ring (exact for ring and Maglev). */
    public Map<String, Double> shares() {
        return table.shares();
    }

    /** {@link RoutingTable#whatIf} of the current snapshot, with this router's hash factory and config. */
    public RoutingTable.WhatIf whatIf(String removeId, Node add) {
        return table.whatIf(hashFactory, config.hashConfig(), removeId, add, SHARE_SAMPLES);
    }

    /** {@link RoutingTable#lookup} of the current snapshot. */
    public RoutingTable.Lookup lookup(long key) {
        return table.lookup(key);
    }
}
