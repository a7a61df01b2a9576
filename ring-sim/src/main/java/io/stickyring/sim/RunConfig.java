package io.stickyring.sim;

import io.stickyring.sim.scenario.Cluster;
import io.stickyring.sim.scenario.ClusterMember;
import io.stickyring.sim.scenario.Event;
import java.util.ArrayList;
import java.util.List;

/**
 * A validated `sim run` configuration: the cluster, algorithms, workload, events and seed.
 *
 * <p>Built from the command's flags (a {@code --config} file under them, keys = flag names, as for
 * every command); the compact constructor rejects bad values naming them, before any work starts.
 *
 * <pre>
 * members: 10                 # or member: [a/2:zone=z1, b, c/3:zone=z2]
 * zones: 3                    # with a member count: spread them round-robin over z0, z1, z2
 * algorithm: [ring, "maglev:table=65537", rendezvous, jump]
 * workload: "ipv4:n=1000000"
 * event: ["fail:1", "add:1", "drain:m002", "weight:m000=2", "restart", "scale:15:step=5", "flap:m001:times=2"]
 * seed: 1
 * threads: 1
 * key-mode: address           # address | prefix | address-port, as the LB's --key-mode
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

    /** The flags (with any --config file under them); a null field takes the default. */
    public record Overrides(Integer members, Integer zones, List<String> memberSpecs, List<String> algorithms, String workload,
                            List<String> events, Long seed, Integer threads, String keyMode) {
    }

    public static RunConfig resolve(Overrides flags) {
        List<ClusterMember> members;
        if (flags.memberSpecs() != null && !flags.memberSpecs().isEmpty()) {
            members = parseMembers(flags.memberSpecs());
        } else {
            int zones = flags.zones() != null ? flags.zones() : 0;
            members = Cluster.uniform(flags.members() != null ? flags.members() : 10, zones).members();
        }
        List<String> algorithms = pick(flags.algorithms(), DEFAULT_ALGORITHMS);
        String workload = flags.workload() != null ? flags.workload() : DEFAULT_WORKLOAD;
        List<String> events = pick(flags.events(), DEFAULT_EVENTS);
        long seed = flags.seed() != null ? flags.seed() : 1L;
        int threads = flags.threads() != null ? flags.threads() : 1;
        String keyMode = flags.keyMode() != null ? flags.keyMode() : "address";
        return new RunConfig(members, algorithms, workload, events, seed, threads, keyMode);
    }

    private static <T> List<T> pick(List<T> flag, List<T> dflt) {
        return flag != null && !flag.isEmpty() ? flag : dflt;
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
}
