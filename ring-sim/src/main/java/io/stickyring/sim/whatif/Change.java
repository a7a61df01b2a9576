package io.stickyring.sim.whatif;

import io.stickyring.cli.MemberSpec;
import io.stickyring.ring.Node;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A proposed membership change: members to remove (fail or decommission), drain (no new keys),
 * add (with weight), and re-weight. {@link #apply(List)} gives the ring after it, validating that
 * every named member exists (or, for add, does not).
 */
public record Change(List<String> remove, List<String> drain, Map<String, Integer> add, Map<String, Integer> weight) {

    public Change {
        remove = List.copyOf(remove);
        drain = List.copyOf(drain);
        add = Map.copyOf(add);
        weight = Map.copyOf(weight);
        if (remove.isEmpty() && drain.isEmpty() && add.isEmpty() && weight.isEmpty()) {
            throw new IllegalArgumentException("no change given: use --remove, --drain, --add or --weight");
        }
    }

    /**
     * Parses {@code ID=HOST:PORT[/WEIGHT]} (cli's {@link MemberSpec}, the LB's {@code --backend}
     * grammar) or {@code ID[/WEIGHT]}: only the id and weight matter to the hash. The old
     * {@code @WEIGHT} is refused with a message naming the new form.
     */
    public static Map.Entry<String, Integer> parseAdd(String spec) {
        String s = spec.trim();
        if (s.indexOf('=') >= 0) {
            MemberSpec m = MemberSpec.parse("--add", spec);
            return Map.entry(m.id(), m.weight());
        }
        if (s.indexOf('@') >= 0) {
            throw new IllegalArgumentException("--add (" + spec + "): '@WEIGHT' is no longer accepted; write "
                    + MemberSpec.FORM + " (or ID/WEIGHT), the LB's --backend syntax");
        }
        int weight = 1;
        int slash = s.lastIndexOf('/');
        if (slash >= 0) {
            weight = MemberSpec.weight("--add", spec, s.substring(slash + 1));
            s = s.substring(0, slash);
        }
        if (s.isBlank()) {
            throw new IllegalArgumentException("--add (" + spec + "): missing member id (" + MemberSpec.FORM + " or ID/WEIGHT)");
        }
        return Map.entry(s.trim(), weight);
    }

    public List<Node> apply(List<Node> ring, Set<String> known) {
        Map<String, Node> m = new LinkedHashMap<>();
        ring.forEach(n -> m.put(n.id(), n));
        for (String id : remove) {
            requireKnown(id, known, "--remove");
            m.remove(id);
        }
        for (String id : drain) {
            requireKnown(id, known, "--drain");
            m.remove(id);
        }
        for (Map.Entry<String, Integer> e : weight.entrySet()) {
            requireKnown(e.getKey(), known, "--weight");
            if (m.containsKey(e.getKey())) {
                m.put(e.getKey(), new Node(e.getKey(), e.getValue()));
            }
        }
        for (Map.Entry<String, Integer> e : add.entrySet()) {
            if (known.contains(e.getKey())) {
                throw new IllegalArgumentException("--add: member '" + e.getKey() + "' already exists");
            }
            m.put(e.getKey(), new Node(e.getKey(), e.getValue()));
        }
        if (m.isEmpty()) {
            throw new IllegalArgumentException("the change leaves no ACTIVE member");
        }
        return new ArrayList<>(m.values());
    }

    private static void requireKnown(String id, Set<String> known, String flag) {
        if (!known.contains(id)) {
            throw new IllegalArgumentException(flag + ": no member '" + id + "' (members: " + known + ")");
        }
    }
}
