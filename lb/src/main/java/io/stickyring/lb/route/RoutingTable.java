package io.stickyring.lb.route;

import io.stickyring.lb.config.LbConfig;
import io.stickyring.membership.MembershipView;
import io.stickyring.ring.BoundedLoadHash;
import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.HashConfig;
import io.stickyring.ring.KeySpace;
import io.stickyring.ring.Node;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One immutable routing snapshot and every pick made from it: the ring of ACTIVE, healthy members,
 * their runtimes, and the pick settings in force, built once per view, health or config change and
 * published through one volatile field in {@link Router}.
 *
 * <p>Every caller (the first pick, retries after a failed connect, {@code /lookup}) goes through the
 * one filter {@link #accepts}: up, not full ({@code --max-connections-per-member}) and, while
 * shaping, admitted by slow start. Bounded loads ({@code --balance-factor}) are ring's
 * {@link BoundedLoadHash} decorator over the ring, reading live connection counts. Shaping (slow
 * start and bounded loads) never refuses service on its own: when no member passes the shaped
 * filter, the same filter runs again without slow start, and BoundedLoadHash falls back to full
 * members in preference order.
 *
 * <p>Invariants: {@code ring[i]} is the runtime of {@code hash.nodes().get(i)}; {@code hash} is
 * null exactly when no member can take new connections; {@code first(k)} is {@code candidates(k)[0]}
 * for every key and load.
 *
 * @param view    the membership view this table was built from
 * @param hash    the ring over ACTIVE and up members, or null when there are none
 * @param bounded the bounded-load decorator over {@code hash}, or null when {@code --balance-factor} is off
 * @param ring    runtimes aligned with {@code hash.nodes()}
 * @param members runtimes of every member in the view (including DRAINING, MAINT and DOWN), sorted by id
 * @param pick    the pick settings in force
 * @param clock   monotonic nanoseconds for slow start (read only when slow start is on)
 */
public record RoutingTable(MembershipView view, ConsistentHash hash, BoundedLoadHash bounded, MemberRuntime[] ring,
                           List<MemberRuntime> members, Pick pick, LongSupplier clock) {

    /** Preference entries examined per pick: enough to skip many down or full members. */
    static final int MAX_PREFERENCE = 32;
    private static final MemberRuntime[] NONE = new MemberRuntime[0];

    /**
     * The pick settings a snapshot carries (a reload publishes a new snapshot with new ones).
     *
     * @param connectTries   members a new connection tries at most (1..16)
     * @param maxPerMember   a member with this many connections takes no new one; 0 = off
     * @param slowStartNanos slow start period; 0 = off
     */
    public record Pick(int connectTries, int maxPerMember, long slowStartNanos) {

        public static Pick of(LbConfig c) {
            return new Pick(c.connectTries(), c.maxConnectionsPerMember(), c.slowStart().toNanos());
        }
    }

    static RoutingTable empty(Pick pick, LongSupplier clock) {
        return new RoutingTable(MembershipView.of(0, List.of()), null, null, NONE, List.of(), pick, clock);
    }

    public boolean routable() {
        return hash != null;
    }

    /** A copy with another view (same ring), for a staleness-only change. */
    RoutingTable withView(MembershipView v) {
        return new RoutingTable(v, hash, bounded, ring, members, pick, clock);
    }

    // ------------------------------------------------------------------ the one pick filter

    /**
     * Whether member {@code i} of the ring may take a new connection for {@code key}: up, under
     * {@code maxPerMember}, and (while {@code shaping}) admitted by its slow start.
     */
    private boolean accepts(int i, long key, long now, boolean shaping) {
        MemberRuntime m = ring[i];
        return m.up() && (pick.maxPerMember() == 0 || m.activeConnections() < pick.maxPerMember())
                && (!shaping || m.health().admits(key, now, pick.slowStartNanos()));
    }

    /** The order picks walk: bounded loads reorder the ring's preference by live load. */
    private ConsistentHash order() {
        return bounded != null ? bounded : hash;
    }

    private long now() {
        return pick.slowStartNanos() == 0 ? 0 : clock.getAsLong();
    }

    /**
     * The member a new connection for {@code key} tries first: {@code candidates(key)[0]}, computed
     * lazily through {@link ConsistentHash#firstAccepted} so an accepted owner costs one ring
     * lookup and no array. Null when no member can take it.
     */
    public MemberRuntime first(long key) {
        if (hash == null) {
            return null;
        }
        long now = now();
        ConsistentHash o = order();
        int idx = o.firstAccepted(key, i -> accepts(i, key, now, true));
        if (idx < 0) {
            idx = o.firstAccepted(key, i -> accepts(i, key, now, false));
        }
        return idx < 0 ? null : ring[idx];
    }

    /** The members to try for {@code key}, best first, at most {@code connectTries} of them. */
    public MemberRuntime[] candidates(long key) {
        return candidates(key, pick.connectTries());
    }

    /** The first {@code limit} members of the key's preference order that pass the pick filter. */
    public MemberRuntime[] candidates(long key, int limit) {
        if (hash == null) {
            return NONE;
        }
        int[] pref = new int[Math.min(ring.length, MAX_PREFERENCE)];
        int k = order().preference(key, pref);
        long now = now();
        MemberRuntime[] out = new MemberRuntime[Math.min(limit, k)];
        int c = 0;
        for (int pass = 0; pass < 2 && c == 0; pass++) {
            boolean shaping = pass == 0;
            for (int i = 0; i < k && c < out.length; i++) {
                if (accepts(pref[i], key, now, shaping)) {
                    out[c++] = ring[pref[i]];
                }
            }
        }
        return c == out.length ? out : Arrays.copyOf(out, c);
    }

    /**
     * The next member to try after failed connects: the first of the key's current candidates not
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

    // ------------------------------------------------------------------ admin queries

    /** Where a key goes now: its owner and fallbacks in the ring, and the members a new connection would try. */
    public record Lookup(long key, String owner, List<String> preference, List<String> candidates) {
    }

    public Lookup lookup(long key) {
        if (hash == null) {
            return new Lookup(key, null, List.of(), List.of());
        }
        int[] pref = new int[ring.length];
        int k = hash.preference(key, pref);
        List<String> p = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            p.add(ring[pref[i]].id());
        }
        List<String> cands = Arrays.stream(candidates(key)).map(MemberRuntime::id).toList();
        return new Lookup(key, p.get(0), p, cands);
    }

    /** Share of the key space per member of this ring (exact for ring and Maglev). */
    public Map<String, Double> shares() {
        if (hash == null) {
            return Map.of();
        }
        double[] sh = hash.shares();
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < sh.length; i++) {
            out.put(hash.nodes().get(i).id(), sh[i]);
        }
        return out;
    }

    /** Result of {@link #whatIf}. */
    public record WhatIf(List<String> ringBefore, List<String> ringAfter, double keySpaceMoved,
                         int liveConnectionsRemapped, int liveConnectionsOnRemoved, int samples) {
    }

    /**
     * Predicts the effect of removing member {@code removeId} and/or adding {@code add} to this
     * snapshot: the fraction of the key space whose owner changes (sampled with ring's
     * {@link KeySpace#movedFraction}, the estimate ring-sim reports), the live connections whose key
     * would map to a different member (they stay, but would land elsewhere on reconnect), and the
     * live connections on the removed member (closed on removal by default).
     */
    public WhatIf whatIf(HashFactory factory, HashConfig config, String removeId, Node add, int samples) {
        List<Node> before = hash == null ? List.of() : hash.nodes();
        List<Node> after = new ArrayList<>();
        for (Node n : before) {
            if (!n.id().equals(removeId) && (add == null || !n.id().equals(add.id()))) {
                after.add(n);
            }
        }
        if (add != null) {
            after.add(add);
        }
        ConsistentHash a = after.isEmpty() ? null : factory.build(config, after);
        double moved = hash == null && a == null ? 0 : hash == null || a == null ? 1 : KeySpace.movedFraction(hash, a, samples);
        int remapped = 0;
        int onRemoved = 0;
        for (MemberRuntime rt : members) {
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
                moved, remapped, onRemoved, samples);
    }
}
