package io.stickyring.sim.workload;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A seeded generator of client keys. Same spec, same seed, same key function: same {@link KeySet}.
 *
 * <p>Text form, parsed by {@link #parse(String)}:
 * <pre>
 *   ipv4[:n=N]                          N uniform random IPv4 clients
 *   ipv6[:n=N]                          N uniform random IPv6 clients
 *   zipf[:users=U][:nats=A][:s=S]       U users over A NAT addresses, address rank r drawn with P ~ 1/r^S
 *   prefix24[:n=N][:prefixes=P]         N IPv4 clients keyed by their /24 (drawn from P random /24s if P > 0)
 *   prefix64[:n=N][:prefixes=P]         the same for IPv6 /64s
 *   file:PATH                           one "ip[,count]" per line, or LB JSON (see {@link AddressFile})
 * </pre>
 */
public interface Workload {

    /** The spec as given, for reports. */
    String spec();

    KeySet generate(ClientKeyFunction keyFunction, long seed);

    static Workload parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("workload must not be empty");
        }
        String t = text.trim();
        if (t.startsWith("file:")) {
            String path = t.substring("file:".length());
            if (path.isEmpty()) {
                throw new IllegalArgumentException("workload '" + t + "' needs a path after 'file:'");
            }
            return new FileWorkload(t, Path.of(path));
        }
        String[] parts = t.split(":");
        String kind = parts[0].toLowerCase();
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("workload '" + t + "': option '" + parts[i] + "' is not key=value");
            }
            opts.put(kv[0].trim(), kv[1].trim());
        }
        return switch (kind) {
            case "ipv4" -> {
                check(t, opts, Set.of("n"));
                yield new RandomWorkloads.Uniform(t, 4, intOpt(t, opts, "n", 1_000_000, 1));
            }
            case "ipv6" -> {
                check(t, opts, Set.of("n"));
                yield new RandomWorkloads.Uniform(t, 16, intOpt(t, opts, "n", 1_000_000, 1));
            }
            case "zipf" -> {
                check(t, opts, Set.of("users", "nats", "s"));
                double s = Double.parseDouble(opts.getOrDefault("s", "1.0"));
                if (!(s > 0) || s > 10) {
                    throw new IllegalArgumentException("workload '" + t + "': s (" + s + ") must be in (0, 10]");
                }
                yield new RandomWorkloads.ZipfNat(t, intOpt(t, opts, "users", 1_000_000, 1),
                        intOpt(t, opts, "nats", 10_000, 1), s);
            }
            case "prefix24" -> {
                check(t, opts, Set.of("n", "prefixes"));
                yield new RandomWorkloads.Prefix(t, 4, 24, intOpt(t, opts, "n", 1_000_000, 1),
                        intOpt(t, opts, "prefixes", 0, 0));
            }
            case "prefix64" -> {
                check(t, opts, Set.of("n", "prefixes"));
                yield new RandomWorkloads.Prefix(t, 16, 64, intOpt(t, opts, "n", 1_000_000, 1),
                        intOpt(t, opts, "prefixes", 0, 0));
            }
            default -> throw new IllegalArgumentException("unknown workload '" + kind + "' in '" + t
                    + "' (expected ipv4, ipv6, zipf, prefix24, prefix64, file:PATH)");
        };
    }

    private static void check(String t, Map<String, String> opts, Set<String> allowed) {
        for (String k : opts.keySet()) {
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException("workload '" + t + "': unknown option '" + k + "' (allowed: "
                        + allowed + ")");
            }
        }
    }

    private static int intOpt(String t, Map<String, String> opts, String key, int dflt, int min) {
        String v = opts.get(key);
        if (v == null) {
            return dflt;
        }
        int n;
        try {
            n = Integer.parseInt(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("workload '" + t + "': " + key + " (" + v + ") is not an integer", e);
        }
        if (n < min) {
            throw new IllegalArgumentException("workload '" + t + "': " + key + " (" + n + ") must be >= " + min);
        }
        return n;
    }
}
