package io.stickyring.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.stickyring.sim.scenario.Cluster;
import io.stickyring.sim.scenario.ClusterMember;
import io.stickyring.sim.scenario.Event;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A validated `sim run` configuration: the cluster, algorithms, workload, events and seed.
 *
 * <p>Built from an optional YAML file with command-line flags taking precedence; the compact
 * constructor rejects bad values naming them, before any work starts.
 *
 * <pre>
 * members: 10                 # or a list: [{id: a, weight: 2, zone: z1}, {id: b}, "c/3:zone=z2"]
 * zones: 3                    # with a member count: spread them round-robin over z0, z1, z2
 * algorithms: [ring, "maglev:table=65537", rendezvous, jump]
 * workload: "ipv4:n=1000000"
 * events: ["fail:1", "add:1", "drain:m002", "weight:m000=2", "restart", "scale:15:step=5", "flap:m001:times=2"]
 * seed: 1
 * threads: 1
 * keyMode: address            # address | prefix | address-port, as the LB's --key-mode
 * </pre>
 */
public record RunConfig(List<ClusterMember> members, List<String> algorithms, String workload, List<String> events,
                        long seed, int threads, String keyMode) {

    public static final List<String> DEFAULT_ALGORITHMS = List.of("ring", "maglev", "rendezvous", "jump");
    public static final String DEFAULT_WORKLOAD = "ipv4:n=1000000";
    public static final List<String> DEFAULT_EVENTS = List.of("fail:1", "add:1");

    public RunConfig {
        if (members == null || members.isEmpty()) {
            throw new IllegalArgumentException("members must not be empty");
        }
        members = List.copyOf(members);
        Cluster.of(members); // rejects duplicate ids
        if (algorithms == null || algorithms.isEmpty()) {
            throw new IllegalArgumentException("algorithms must not be empty");
        }
        algorithms = List.copyOf(algorithms);
        if (workload == null || workload.isBlank()) {
            throw new IllegalArgumentException("workload must not be empty");
        }
        events = List.copyOf(events == null ? List.of() : events);
        for (String e : events) {
            Event.parse(e);
        }
        if (threads < 1 || threads > 64) {
            throw new IllegalArgumentException("threads (" + threads + ") must be in 1..64");
        }
        if (keyMode == null) {
            keyMode = "address";
        }
    }

    /** Flags and file values; any null field falls back to the file, then to the default. */
    public record Overrides(Integer members, Integer zones, List<String> memberSpecs, List<String> algorithms, String workload,
                            List<String> events, Long seed, Integer threads, String keyMode) {
    }

    public static RunConfig resolve(Path file, Overrides flags) {
        JsonNode y = null;
        if (file != null) {
            try {
                y = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
            } catch (IOException e) {
                throw YamlArgs.unreadable(file, e);
            }
            if (y == null || !y.isObject()) {
                throw new IllegalArgumentException("config " + file + " must be a YAML mapping");
            }
            y.fieldNames().forEachRemaining(f -> {
                if (!List.of("members", "zones", "algorithms", "workload", "events", "seed", "threads", "keyMode").contains(f)) {
                    throw new IllegalArgumentException("config " + file + ": unknown key '" + f
                            + "' (expected members, zones, algorithms, workload, events, seed, threads, keyMode)");
                }
            });
        }
        List<ClusterMember> members;
        if (flags.memberSpecs() != null && !flags.memberSpecs().isEmpty()) {
            members = parseMembers(flags.memberSpecs());
        } else {
            int zones = flags.zones() != null ? flags.zones() : y != null && y.has("zones") ? y.get("zones").asInt() : 0;
            if (flags.members() != null) {
                members = Cluster.uniform(flags.members(), zones).members();
            } else if (y != null && y.has("members")) {
                members = yamlMembers(file, y.get("members"), zones);
            } else {
                members = Cluster.uniform(10, zones).members();
            }
        }
        List<String> algorithms = pick(flags.algorithms(), strings(y, "algorithms"), DEFAULT_ALGORITHMS);
        String workload = flags.workload() != null ? flags.workload()
                : y != null && y.has("workload") ? y.get("workload").asText() : DEFAULT_WORKLOAD;
        List<String> events = pick(flags.events(), strings(y, "events"), DEFAULT_EVENTS);
        long seed = flags.seed() != null ? flags.seed() : y != null && y.has("seed") ? y.get("seed").asLong() : 1L;
        int threads = flags.threads() != null ? flags.threads() : y != null && y.has("threads") ? y.get("threads").asInt() : 1;
        String keyMode = flags.keyMode() != null ? flags.keyMode()
                : y != null && y.has("keyMode") ? y.get("keyMode").asText() : "address";
        return new RunConfig(members, algorithms, workload, events, seed, threads, keyMode);
    }

    private static <T> List<T> pick(List<T> flag, List<T> file, List<T> dflt) {
        if (flag != null && !flag.isEmpty()) {
            return flag;
        }
        return file != null ? file : dflt;
    }

    private static List<String> strings(JsonNode y, String field) {
        if (y == null || !y.has(field)) {
            return null;
        }
        JsonNode n = y.get(field);
        List<String> out = new ArrayList<>();
        if (n.isArray()) {
            n.forEach(x -> out.add(x.asText()));
        } else {
            out.add(n.asText());
        }
        return out;
    }

    /**
     * {@code ID[/WEIGHT][:zone=ZONE]}: the weight as the LB writes it ({@code --backend ID=HOST:PORT/WEIGHT}),
     * the zone as a named option. The old {@code ID=WEIGHT} and {@code @ZONE} forms are refused with
     * the new form named ({@code @} meant a zone here and a weight in whatif, issue 16).
     */
    static List<ClusterMember> parseMembers(List<String> specs) {
        List<ClusterMember> out = new ArrayList<>();
        for (String s : specs) {
            for (String raw : s.split(",")) {
                String part = raw.trim();
                if (part.indexOf('@') >= 0 || part.indexOf('=') >= 0 && !part.contains(":zone=")) {
                    throw new IllegalArgumentException("member '" + part + "': write ID/WEIGHT:zone=ZONE (e.g. a/2:zone=east); "
                            + "'ID=WEIGHT' and '@ZONE' are no longer accepted");
                }
                String zone = "";
                int z = part.indexOf(":zone=");
                if (z >= 0) {
                    zone = part.substring(z + ":zone=".length()).trim();
                    part = part.substring(0, z);
                    if (zone.isEmpty() || part.contains("=")) {
                        throw new IllegalArgumentException("member '" + raw.trim() + "': write ID/WEIGHT:zone=ZONE (e.g. a/2:zone=east)");
                    }
                }
                int slash = part.indexOf('/');
                int w = 1;
                if (slash >= 0) {
                    String ws = part.substring(slash + 1).trim();
                    try {
                        w = Integer.parseInt(ws);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("member '" + raw.trim() + "': weight (" + ws + ") is not an integer", e);
                    }
                    part = part.substring(0, slash);
                }
                out.add(new ClusterMember(part.trim(), w, false, zone));
            }
        }
        return out;
    }

    private static List<ClusterMember> yamlMembers(Path file, JsonNode n, int zones) {
        if (n.isInt()) {
            return Cluster.uniform(n.asInt(), zones).members();
        }
        if (!n.isArray()) {
            throw new IllegalArgumentException("config " + file + ": members (" + n + ") must be a count or a list");
        }
        List<ClusterMember> out = new ArrayList<>();
        for (JsonNode m : n) {
            if (m.isTextual()) {
                out.addAll(parseMembers(List.of(m.asText())));
            } else if (m.has("id")) {
                out.add(new ClusterMember(m.get("id").asText(), m.has("weight") ? m.get("weight").asInt() : 1, false,
                        m.path("zone").asText("")));
            } else {
                throw new IllegalArgumentException("config " + file + ": member " + m + " needs an id");
            }
        }
        return out;
    }
}
