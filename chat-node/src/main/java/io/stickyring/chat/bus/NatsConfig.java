package io.stickyring.chat.bus;

import io.stickyring.cli.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Validated settings of a {@link NatsMessageBus}, parsed from a {@code --bus} spec:
 * {@code nats://HOST:PORT[,HOST2:PORT2...][?KEY=VALUE&...]}. Query keys: {@code prefix} (subject
 * prefix, default {@code stickyring.chat}; nodes of one cluster must agree, other clusters on the
 * same NATS pick another), {@code fallbackSync} (how often sessions' inboxes are checked in the store
 * while NATS is unreachable, default 1s), {@code reconnectWait} (500ms), {@code connectTimeout} (2s),
 * {@code reconnectBuffer} (bytes of publishes kept while disconnected, default 8 MiB; beyond it
 * publishes are dropped and counted). Unknown keys are an error naming the key.
 */
public record NatsConfig(List<String> servers, String prefix, Duration fallbackSync, Duration reconnectWait,
                         Duration connectTimeout, long reconnectBuffer) {
    private static final Set<String> KEYS = Set.of("prefix", "fallbackSync", "reconnectWait", "connectTimeout",
            "reconnectBuffer");

    public NatsConfig {
        servers = List.copyOf(servers);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("NATS server list (" + servers + ") must not be empty");
        }
        for (String s : servers) {
            if (!s.matches("nats://[A-Za-z0-9_.\\[\\]:-]+:\\d{1,5}")) {
                throw new IllegalArgumentException("NATS server (" + s + ") must be nats://HOST:PORT");
            }
        }
        if (prefix == null || !prefix.matches("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*") || prefix.length() > 100) {
            throw new IllegalArgumentException("prefix (" + prefix + ") must be dot-separated tokens of [A-Za-z0-9_-]");
        }
        positive("fallbackSync", fallbackSync);
        positive("reconnectWait", reconnectWait);
        positive("connectTimeout", connectTimeout);
        if (reconnectBuffer < 0) {
            throw new IllegalArgumentException("reconnectBuffer (" + reconnectBuffer + ") must be >= 0");
        }
    }

    private static void positive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " (" + d + ") must be > 0");
        }
    }

    public static NatsConfig parse(String spec) {
        if (spec == null || !spec.startsWith("nats://")) {
            throw new IllegalArgumentException("bus spec (" + spec + ") must start with nats://");
        }
        String rest = spec;
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        List<String> servers = new ArrayList<>();
        for (String s : rest.split(",")) {
            String hp = s.startsWith("nats://") ? s.substring("nats://".length()) : s;
            if (hp.endsWith("/")) {
                hp = hp.substring(0, hp.length() - 1);
            }
            if (!hp.contains(":")) {
                hp = hp + ":4222";
            }
            servers.add("nats://" + hp);
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (!query.isEmpty()) {
            for (String kv : query.split("&")) {
                int eq = kv.indexOf('=');
                String k = eq >= 0 ? kv.substring(0, eq) : kv;
                if (!KEYS.contains(k)) {
                    throw new IllegalArgumentException("unknown bus parameter '" + k + "' in " + spec + " (known: "
                            + new TreeSet<>(KEYS) + ")");
                }
                params.put(k, eq >= 0 ? kv.substring(eq + 1) : "");
            }
        }
        long buffer;
        try {
            buffer = Long.parseLong(params.getOrDefault("reconnectBuffer", String.valueOf(8L << 20)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("reconnectBuffer (" + params.get("reconnectBuffer") + ") must be a byte count");
        }
        return new NatsConfig(servers, params.getOrDefault("prefix", "stickyring.chat"),
                duration(params, "fallbackSync", Duration.ofSeconds(1)),
                duration(params, "reconnectWait", Duration.ofMillis(500)),
                duration(params, "connectTimeout", Duration.ofSeconds(2)), buffer);
    }

    private static Duration duration(Map<String, String> params, String key, Duration dflt) {
        String v = params.get(key);
        return v == null ? dflt : Durations.parse(key, v);
    }

    /**
     * The subject carrying {@code user}'s events. User ids may contain '.', NATS's token separator, and
     * never '~', so '.' maps to '~': distinct users keep distinct single-token subjects.
     */
    public String subject(String user) {
        return prefix + ".u." + user.replace('.', '~');
    }

    /** Where other nodes send this node's events in batches: {@code <prefix>.n.<key>}. */
    public String nodeSubject(String nodeKey) {
        return prefix + ".n." + nodeKey;
    }

    /** Where nodes announce which users they want ({@code <prefix>.presence}). */
    public String presenceSubject() {
        return prefix + ".presence";
    }

    /** The subject of group membership changes, heard by every node ({@code <prefix>.groups}; user subjects are {@code <prefix>.u.*}). */
    public String groupsSubject() {
        return prefix + ".groups";
    }
}
