package io.stickyring.sim.scenario;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A scenario event: a named change to the cluster that expands to one or more measured
 * {@link Step}s (a rolling restart is two steps per member; scaling is one step per increment).
 *
 * <p>Text form (flags and YAML alike), parsed by {@link #parse(String)}:
 * <pre>
 *   fail:K | fail:ID,ID      K random ring members (seeded) or the named ones fail at once
 *   fail:zone=Z              every ring member of zone Z fails at once
 *   add:K[:weight=W][:zone=Z] K new members join at once
 *   drain:K | drain:ID,ID | drain:zone=Z   members leave the ring for new keys; their connections stay
 *   weight:ID=W[,ID=W]       change weights
 *   restart                  rolling restart: each member in id order goes down, then up
 *   scale:M[:step=S]         grow or shrink the ring to M members, S at a time (shrink removes newest)
 *   flap:ID|random[:times=T] one member goes down and up T times
 * </pre>
 */
public sealed interface Event {

    /** The event as written. */
    String text();

    /** The steps this event produces from {@code current}. */
    List<Step> expand(Cluster current, ScenarioContext ctx);

    static Event parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("event must not be empty");
        }
        String t = text.trim();
        String[] parts = t.split(":");
        String kind = parts[0].toLowerCase();
        String arg = parts.length > 1 ? parts[1] : null;
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 2; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("event '" + t + "': option '" + parts[i] + "' is not key=value");
            }
            opts.put(kv[0], kv[1]);
        }
        try {
            return switch (kind) {
                case "fail" -> new Fail(t, Selector.parse(t, arg));
                case "add" -> new Add(t, positive(t, "count", require(t, arg)), positive(t, "weight", opts.getOrDefault("weight", "1")),
                        opts.getOrDefault("zone", ""));
                case "drain" -> new Drain(t, Selector.parse(t, arg));
                case "weight" -> new Weight(t, weights(t, require(t, arg)));
                case "restart" -> new RollingRestart(t);
                case "scale" -> new Scale(t, positive(t, "target", require(t, arg)), positive(t, "step", opts.getOrDefault("step", "1")));
                case "flap" -> new Flap(t, arg == null ? "random" : arg, positive(t, "times", opts.getOrDefault("times", "3")));
                default -> throw new IllegalArgumentException("unknown event '" + kind + "' in '" + t
                        + "' (expected fail, add, drain, weight, restart, scale, flap)");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("event '" + t + "': " + e.getMessage(), e);
        }
    }

    private static String require(String t, String arg) {
        if (arg == null || arg.isBlank()) {
            throw new IllegalArgumentException("event '" + t + "' needs an argument after ':'");
        }
        return arg;
    }

    private static int positive(String t, String what, String v) {
        int n = Integer.parseInt(v.trim());
        if (n < 1) {
            throw new IllegalArgumentException("event '" + t + "': " + what + " (" + n + ") must be >= 1");
        }
        return n;
    }

    private static Map<String, Integer> weights(String t, String arg) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (String kv : arg.split(",")) {
            String[] p = kv.split("=", 2);
            if (p.length != 2) {
                throw new IllegalArgumentException("event '" + t + "': '" + kv + "' is not ID=WEIGHT");
            }
            m.put(p[0].trim(), positive(t, "weight of " + p[0].trim(), p[1]));
        }
        return m;
    }

    /** "K random ring members", "these ids" or "every ring member of this zone". */
    record Selector(int count, List<String> ids, String zone) {
        static Selector parse(String t, String arg) {
            require(t, arg);
            if (arg.startsWith("zone=")) {
                String z = arg.substring("zone=".length()).trim();
                if (z.isEmpty()) {
                    throw new IllegalArgumentException("event '" + t + "': zone must not be empty");
                }
                return new Selector(0, List.of(), z);
            }
            if (arg.chars().allMatch(Character::isDigit)) {
                return new Selector(positive(t, "count", arg), List.of(), null);
            }
            return new Selector(0, Arrays.stream(arg.split(",")).map(String::trim).toList(), null);
        }

        List<String> pick(String t, Cluster c, ScenarioContext ctx) {
            List<String> ring = c.ringNodes().stream().map(n -> n.id()).toList();
            if (zone != null) {
                List<String> inZone = ring.stream().filter(id -> c.get(id).zone().equals(zone)).sorted().toList();
                if (inZone.isEmpty()) {
                    throw new IllegalArgumentException("event '" + t + "': no ring member in zone '" + zone + "'");
                }
                if (inZone.size() == ring.size()) {
                    throw new IllegalArgumentException("event '" + t + "': zone '" + zone
                            + "' holds every ring member; at least one must remain");
                }
                return inZone;
            }
            if (!ids.isEmpty()) {
                for (String id : ids) {
                    if (!ring.contains(id)) {
                        throw new IllegalArgumentException("event '" + t + "': member '" + id
                                + "' is not in the ring (ring: " + ring + ")");
                    }
                }
                return ids;
            }
            if (count >= ring.size()) {
                throw new IllegalArgumentException("event '" + t + "': count (" + count
                        + ") must leave at least one of the " + ring.size() + " ring members");
            }
            List<String> shuffled = new ArrayList<>(ring);
            Collections.shuffle(shuffled, ctx.random());
            return List.copyOf(shuffled.subList(0, count)).stream().sorted().toList();
        }
    }

    record Fail(String text, Selector selector) implements Event {
        @Override
        public List<Step> expand(Cluster current, ScenarioContext ctx) {
            List<String> victims = selector.pick(text, current, ctx);
            Cluster c = current;
            for (String id : victims) {
                c = c.without(id);
            }
            return List.of(new Step("fail " + String.join(",", victims), c, Set.copyOf(victims), Set.of()));
        }
    }

    record Add(String text, int count, int weight, String zone) implements Event {
        @Override
        public List<Step> expand(Cluster current, ScenarioContext ctx) {
            Cluster c = current;
            List<String> added = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String id = ctx.freshId();
                added.add(id);
                c = c.with(new ClusterMember(id, weight, false, zone));
            }
            return List.of(Step.of("add " + String.join(",", added), c));
        }
    }

    record Drain(String text, Selector selector) implements Event {
        @Override
        public List<Step> expand(Cluster current, ScenarioContext ctx) {
            List<String> ids = selector.pick(text, current, ctx);
            Cluster c = current;
            for (String id : ids) {
                c = c.with(c.get(id).drained());
            }
            return List.of(new Step("drain " + String.join(",", ids), c, Set.of(), Set.copyOf(ids)));
        }
    }

    record Weight(String text, Map<String, Integer> weights) implements Event {
        @Override
        public List<Step> expand(Cluster current, ScenarioContext ctx) {
            Cluster c = current;
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, Integer> e : weights.entrySet()) {
                ClusterMember m = c.get(e.getKey());
                if (m == null) {
                    throw new IllegalArgumentException("event '" + text + "': member '" + e.getKey()
                            + "' is not in the cluster " + c.ids());
                }
                c = c.with(m.withWeight(e.getValue()));
                parts.add(e.getKey() + "=" + e.getValue());
            }
            return List.of(Step.of("weight " + String.join(",", parts), c));
        }
    }

    record RollingRestart(String text) implements Event {
        @Override
        public List<Step> expand(Cluster current, ScenarioContext ctx) {
            List<Step> steps = new ArrayList<>();
            Cluster c = current;
            List<ClusterMember> order = current.ringNodes().stream().map(n -> current.get(n.id())).sorted(
                    java.util.Comparator.comparing(ClusterMember::id)).toList();
            if (order.size() < 2) {
                throw new IllegalArgumentException("event '" + text + "': a rolling restart needs >= 2 ring members");
            }
            for (ClusterMember m : order) {
                c = c.without(m.id());
                steps.add(new Step("restart " + m.id() + " down", c, Set.of(m.id()), Set.of()));
                c = c.with(m);
                steps.add(Step.of("restart " + m.id() + " up", c));
            }
            return steps;
        }
    }

    record Scale(String text, int target, int step) implements Event {
        @Override
        public List<Step> expand(Cluster current, ScenarioContext ctx) {
            List<Step> steps = new ArrayList<>();
            Cluster c = current;
            int n = c.ringNodes().size();
            while (n != target) {
                int delta = Math.min(step, Math.abs(target - n));
                List<String> changed = new ArrayList<>();
                if (target > n) {
                    for (int i = 0; i < delta; i++) {
                        String id = ctx.freshId();
                        changed.add(id);
                        c = c.with(new ClusterMember(id, 1, false));
                    }
                    n += delta;
                    steps.add(Step.of("scale to " + n + " (+" + String.join(",", changed) + ")", c));
                } else {
                    // Scale-in removes the newest members (highest ids), as autoscalers usually do.
                    List<String> ring = new ArrayList<>(c.ringNodes().stream().map(x -> x.id()).sorted().toList());
                    Collections.reverse(ring);
                    for (int i = 0; i < delta; i++) {
                        changed.add(ring.get(i));
                        c = c.without(ring.get(i));
                    }
                    n -= delta;
                    steps.add(new Step("scale to " + n + " (-" + String.join(",", changed) + ")", c,
                            Set.of(), new LinkedHashSet<>(changed)));
                }
            }
            return steps;
        }
    }

    record Flap(String text, String member, int times) implements Event {
        @Override
        public List<Step> expand(Cluster current, ScenarioContext ctx) {
            String id = member;
            if ("random".equals(member)) {
                List<String> ring = current.ringNodes().stream().map(n -> n.id()).toList();
                id = ring.get(ctx.random().nextInt(ring.size()));
            } else if (current.get(member) == null || current.get(member).draining()) {
                throw new IllegalArgumentException("event '" + text + "': member '" + member + "' is not in the ring");
            }
            if (current.ringNodes().size() < 2) {
                throw new IllegalArgumentException("event '" + text + "': flapping needs >= 2 ring members");
            }
            ClusterMember m = current.get(id);
            List<Step> steps = new ArrayList<>();
            Cluster c = current;
            for (int i = 1; i <= times; i++) {
                c = c.without(id);
                steps.add(new Step("flap " + id + " down #" + i, c, Set.of(id), Set.of()));
                c = c.with(m);
                steps.add(Step.of("flap " + id + " up #" + i, c));
            }
            return steps;
        }
    }
}
