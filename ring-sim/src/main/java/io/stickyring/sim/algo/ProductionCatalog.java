package io.stickyring.sim.algo;

import io.stickyring.ring.AnchorHash;
import io.stickyring.ring.BoundedLoadHash;
import io.stickyring.ring.ClientKeys;
import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.HashAlgorithm;
import io.stickyring.ring.HashConfig;
import io.stickyring.ring.KeyMode;
import io.stickyring.ring.LoadSource;
import io.stickyring.ring.DxHash;
import io.stickyring.ring.MaglevHash;
import io.stickyring.ring.MultiProbeHash;
import io.stickyring.ring.Ratio;
import io.stickyring.ring.RingHash;
import io.stickyring.sim.workload.ClientKeyFunction;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The algorithms of membership's ring package, exactly as the LB builds them (through
 * {@link HashConfig}), and the LB's client-key derivation ({@link ClientKeys}).
 *
 * <p>Spec text: {@code ring[:vnodes=N]}, {@code maglev[:table=P]}, {@code rendezvous}, {@code jump},
 * {@code multiprobe[:probes=K]}, {@code dxhash[:slots=A]}, {@code anchor[:capacity=A]},
 * {@code bounded[:base=ring|maglev|rendezvous|multiprobe|dxhash][:c=F][:vnodes=N][:table=P]}. Bounded load wraps the
 * base in the production {@link BoundedLoadHash}, fed by the simulator's running per-member loads.
 */
public final class ProductionCatalog implements AlgorithmCatalog {

    private final ClientKeys clientKeys;

    public ProductionCatalog(ClientKeys clientKeys) {
        this.clientKeys = clientKeys;
    }

    /** Whole-address keys, the LB default. */
    public ProductionCatalog() {
        this(ClientKeys.of(KeyMode.ADDRESS));
    }

    @Override
    public ClientKeyFunction clientKeys() {
        return a -> clientKeys.key(a, 0);
    }

    @Override
    public List<String> describe() {
        return List.of(
                "ring[:vnodes=N]        Ketama ring, N points per unit weight (default " + RingHash.DEFAULT_VNODES + ")",
                "maglev[:table=P]       Maglev table of prime size P (default " + MaglevHash.DEFAULT_TABLE_SIZE + ")",
                "rendezvous             weighted highest-random-weight",
                "jump                   jump consistent hash (study only: not offered to the LB)",
                "multiprobe[:probes=K]  multi-probe consistent hashing, K probes per key (default " + MultiProbeHash.DEFAULT_PROBES + ")",
                "dxhash[:slots=A]       DxHash, A slots, a power of two >= total weight (default " + DxHash.DEFAULT_SLOTS + ")",
                "anchor[:capacity=A]    AnchorHash, anchor of A buckets >= total weight (default " + AnchorHash.DEFAULT_CAPACITY
                        + "); follows the scenario's history (study only: not offered to the LB)",
                "bounded[:base=A][:c=F] bounded loads over A (any but jump, anchor; default ring), factor c exact: 1.1 or 11/10 (default 1.25)");
    }

    @Override
    public AlgorithmSpec parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("algorithm must not be empty");
        }
        String t = text.trim();
        String[] parts = t.split(":");
        String name = parts[0].toLowerCase();
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("algorithm '" + t + "': option '" + parts[i] + "' is not key=value");
            }
            opts.put(kv[0].trim(), kv[1].trim());
        }
        if (name.equals("bounded")) {
            check(t, opts, Set.of("base", "c", "vnodes", "table", "probes", "slots", "capacity"));
            HashAlgorithm base = HashAlgorithm.fromName(opts.getOrDefault("base", "ring"));
            if (base == HashAlgorithm.JUMP || base == HashAlgorithm.ANCHOR) {
                throw new IllegalArgumentException("algorithm '" + t + "': bounded load needs a base with a "
                        + "preference order over arbitrary members, not " + base.cliName());
            }
            HashConfig config = config(t, base, opts);
            Ratio c;
            try {
                c = Ratio.parse(opts.getOrDefault("c", "1.25"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("algorithm '" + t + "': c (" + opts.get("c") + ") " + e.getMessage().replaceFirst("^'[^']*' ", ""), e);
            }
            // Validates c the same way the LB would, before any simulation runs.
            new BoundedLoadHash(config.build(List.of(new io.stickyring.ring.Node("probe", 1))), c,
                    LoadSource.of(new int[1]));
            return new AlgorithmSpec(t, name, opts, config::build, new BoundedAssigner(c));
        }
        HashAlgorithm algorithm = HashAlgorithm.fromName(name);
        check(t, opts, switch (algorithm) {
            case RING -> Set.of("vnodes");
            case MAGLEV -> Set.of("table");
            case MULTIPROBE -> Set.of("probes");
            case DXHASH -> Set.of("slots");
            case ANCHOR -> Set.of("capacity");
            default -> Set.of();
        });
        HashConfig config = config(t, algorithm, opts);
        if (algorithm == HashAlgorithm.ANCHOR) {
            return AlgorithmSpec.stateless(t, algorithm.cliName(), opts, new AlgorithmSpec.Builder() {
                @Override
                public ConsistentHash build(List<io.stickyring.ring.Node> nodes) {
                    return config.build(nodes);
                }

                @Override
                public ConsistentHash next(ConsistentHash previous, List<io.stickyring.ring.Node> nodes) {
                    return previous instanceof AnchorHash anchor ? anchor.next(nodes) : config.build(nodes);
                }
            });
        }
        return AlgorithmSpec.stateless(t, algorithm.cliName(), opts, config::build);
    }

    private static HashConfig config(String t, HashAlgorithm a, Map<String, String> opts) {
        HashConfig config = HashConfig.of(a);
        if (opts.containsKey("vnodes")) {
            config = config.withVnodes((int) number(t, opts, "vnodes", 0));
        }
        if (opts.containsKey("table")) {
            config = config.withMaglevTableSize((int) number(t, opts, "table", 0));
        }
        if (opts.containsKey("probes")) {
            config = config.withProbes((int) number(t, opts, "probes", 0));
        }
        if (opts.containsKey("slots")) {
            config = config.withSlots((int) number(t, opts, "slots", 0));
        }
        if (opts.containsKey("capacity")) {
            config = config.withAnchorCapacity((int) number(t, opts, "capacity", 0));
        }
        return config;
    }

    private static void check(String t, Map<String, String> opts, Set<String> allowed) {
        for (String k : opts.keySet()) {
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException("algorithm '" + t + "': unknown option '" + k + "'"
                        + (allowed.isEmpty() ? " (it takes none)" : " (allowed: " + allowed + ")"));
            }
        }
    }

    private static double number(String t, Map<String, String> opts, String key, double dflt) {
        String v = opts.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Double.parseDouble(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("algorithm '" + t + "': " + key + " (" + v + ") is not a number", e);
        }
    }

    /**
     * Places keys in order as connections arriving at an LB using {@link BoundedLoadHash}: each key
     * goes where the production decorator picks given the loads so far, and all of its connections
     * go there together (the LB picks per connection; a key's later connections could spill to a
     * fallback once its member is full, which this model does not split).
     */
    static final class BoundedAssigner implements AlgorithmSpec.Assigner {
        private final Ratio c;

        BoundedAssigner(Ratio c) {
            this.c = c;
        }

        @Override
        public AlgorithmSpec.Pass start(ConsistentHash base, long[] keys, int[] counts) {
            RunningLoads loads = new RunningLoads(base.nodes().size());
            BoundedLoadHash bounded = new BoundedLoadHash(base, c, loads);
            return (from, to, out) -> {
                for (int i = from; i < to; i++) {
                    int pick = bounded.ownerIndex(keys[i]);
                    loads.add(pick, counts[i]);
                    out[i] = pick;
                }
            };
        }
    }

    /** Per-member loads with an O(1) total, single-threaded. */
    static final class RunningLoads implements LoadSource {
        private final int[] loads;
        private int total;

        RunningLoads(int n) {
            loads = new int[n];
        }

        void add(int index, int count) {
            loads[index] += count;
            total += count;
        }

        @Override
        public int load(int index) {
            return loads[index];
        }

        @Override
        public int total() {
            return total;
        }
    }
}
