package io.stickyring.sim.whatif;

import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.Node;
import io.stickyring.sim.algo.AlgorithmSpec;
import io.stickyring.sim.workload.AddressFile;
import io.stickyring.sim.workload.ClientKeyFunction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Predicts, connection by connection, what a proposed change does to a live LB: each client's key
 * (derived exactly as the LB derives it) is looked up in the production algorithm built over the
 * LB's current ACTIVE members and over the proposed ones.
 *
 * <p>Invariant: a connection "moves" when its member after the change differs from the member it is
 * on now (the recorded member when the export has one, else the predicted owner); connections on a
 * removed member always move.
 */
public final class WhatIf {

    private WhatIf() {
    }

    /** One connection's fate. {@code reason}: removed, drained, to-new, rebalanced. */
    public record Move(String ip, int count, String from, String to, String reason) {
    }

    /**
     * @param keySpaceMoved fraction of the key space whose owner changes (over {@code samples} random keys)
     * @param ideal the minimum fraction any algorithm must move for this change
     * @param mismatches connections whose recorded member is not the predicted current owner (the
     *                   model and the LB disagree: bounded load, or the connection predates a change)
     */
    public record Prediction(String algorithm, long version, List<String> before, List<String> after,
                             double keySpaceMoved, double ideal, long connections, long movedConnections,
                             long mismatches, Map<String, long[]> perMember, List<Move> moves,
                             Map<String, double[]> shares) {
    }

    public static Prediction predict(LbView view, Change change, AlgorithmSpec algo, ClientKeyFunction keys,
                                     List<AddressFile.Entry> connections, int samples, long seed) {
        List<Node> before = view.ringNodes();
        if (before.isEmpty()) {
            throw new IllegalArgumentException("the LB reports no ACTIVE member (view version " + view.version() + ")");
        }
        TreeSet<String> known = new TreeSet<>();
        view.members().forEach(m -> known.add(m.id()));
        List<Node> after = change.apply(before, known);
        ConsistentHash h0 = algo.build(before);
        ConsistentHash h1 = algo.next(h0, after);

        SplittableRandom rnd = new SplittableRandom(seed);
        long moved = 0;
        for (int i = 0; i < samples; i++) {
            long k = rnd.nextLong();
            if (!h0.owner(k).id().equals(h1.owner(k).id())) {
                moved++;
            }
        }
        double ideal = ideal(before, after);
        // Key-space share of every member now and after (0 when out of the ring): what an idle LB's
        // next connections would do, from /members alone.
        Map<String, double[]> shares = new LinkedHashMap<>();
        view.members().forEach(m -> shares.put(m.id(), new double[2]));
        after.forEach(n -> shares.putIfAbsent(n.id(), new double[2]));
        double[] s0 = h0.shares();
        double[] s1 = h1.shares();
        for (int i = 0; i < s0.length; i++) {
            shares.get(h0.nodes().get(i).id())[0] = s0[i];
        }
        for (int i = 0; i < s1.length; i++) {
            shares.get(h1.nodes().get(i).id())[1] = s1[i];
        }

        Map<String, long[]> perMember = new LinkedHashMap<>();
        view.members().forEach(m -> perMember.put(m.id(), new long[2]));
        after.forEach(n -> perMember.putIfAbsent(n.id(), new long[2]));
        List<Move> moves = new ArrayList<>();
        long total = 0;
        long movedConns = 0;
        long mismatches = 0;
        for (AddressFile.Entry c : connections) {
            long key = keys.key(c.address().getAddress());
            String predicted = h0.owner(key).id();
            String from = c.member() != null ? c.member() : predicted;
            if (c.member() != null && !c.member().equals(predicted)) {
                mismatches += c.count();
            }
            String to = h1.owner(key).id();
            total += c.count();
            perMember.computeIfAbsent(from, x -> new long[2])[0] += c.count();
            perMember.computeIfAbsent(to, x -> new long[2])[1] += c.count();
            if (!from.equals(to)) {
                movedConns += c.count();
                String reason = change.remove().contains(from) ? "removed"
                        : change.drain().contains(from) ? "drained"
                        : change.add().containsKey(to) ? "to-new" : "rebalanced";
                moves.add(new Move(c.ip(), c.count(), from, to, reason));
            }
        }
        return new Prediction(algo.label(), view.version(), before.stream().map(Node::id).toList(),
                after.stream().map(Node::id).sorted().toList(), (double) moved / samples, ideal, total, movedConns,
                mismatches, perMember, moves, shares);
    }

    static double ideal(List<Node> a, List<Node> b) {
        Map<String, Double> sa = shares(a);
        Map<String, Double> sb = shares(b);
        double d = 0;
        for (Map.Entry<String, Double> e : sa.entrySet()) {
            d += Math.max(0, e.getValue() - sb.getOrDefault(e.getKey(), 0.0));
        }
        return d;
    }

    private static Map<String, Double> shares(List<Node> nodes) {
        double w = nodes.stream().mapToInt(Node::weight).sum();
        Map<String, Double> m = new LinkedHashMap<>();
        nodes.forEach(n -> m.put(n.id(), n.weight() / w));
        return m;
    }
}
