package io.stickyring.chat.store;

import io.stickyring.cli.Durations;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Validated settings of a {@link PostgresMessageStore}, parsed from a {@code --store} spec:
 * {@code postgresql://[USER[:PASSWORD]@]HOST[:PORT][,HOST2[:PORT2]...]/DATABASE[?KEY=VALUE&...]}.
 * Query keys: {@code schema} (default {@code public}), {@code pool} (connections, default 8: one
 * writer plus readers), {@code maxBatch} (group commit bound, default {@code --commit-max-batch}),
 * {@code connectTimeout} (5s), {@code socketTimeout} (30s), {@code statementTimeout} (30s),
 * {@code retries} (serialization/deadlock retries of one batch, default 5), {@code maxGroupMembers}
 * (1000), {@code replica} ({@code HOST[:PORT][,HOST2...]} of a read replica with the same database,
 * user and schema, serving history pages; default none). Durations follow {@link io.stickyring.cli.Durations}: {@code 250ms}, {@code 5s}, {@code 1m30s}, {@code 0}. Unknown keys
 * are an error naming the key.
 */
public record PostgresConfig(String jdbcUrl, String user, String password, String schema, int poolSize,
                             int maxBatch, Duration connectTimeout, Duration socketTimeout,
                             Duration statementTimeout, int retries, int maxGroupMembers, String replicaJdbcUrl) {
    private static final Set<String> KEYS = Set.of("schema", "pool", "maxBatch", "connectTimeout", "socketTimeout",
            "statementTimeout", "retries", "maxGroupMembers", "user", "password", "replica");
    private static final String HOST_LIST = "[A-Za-z0-9_.:\\[\\]-]+(,[A-Za-z0-9_.:\\[\\]-]+)*";

    public PostgresConfig {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        if (user == null || user.isEmpty()) {
            throw new IllegalArgumentException("postgresql user (" + user + ") must not be empty");
        }
        if (schema == null || !schema.matches("[a-z_][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("schema (" + schema + ") must match [a-z_][a-z0-9_]{0,62}");
        }
        if (poolSize < 2 || poolSize > 1000) {
            throw new IllegalArgumentException("pool (" + poolSize + ") must be in [2, 1000] (one writer + readers)");
        }
        if (maxBatch < 1 || maxBatch > 100_000) {
            throw new IllegalArgumentException("maxBatch (" + maxBatch + ") must be in [1, 100000]");
        }
        // HikariCP's smallest connection timeout is 250 ms.
        requireAtLeast("connectTimeout", connectTimeout, Duration.ofMillis(250));
        requireAtLeast("socketTimeout", socketTimeout, Duration.ofSeconds(1));
        requireAtLeast("statementTimeout", statementTimeout, Duration.ofMillis(1));
        if (retries < 0 || retries > 100) {
            throw new IllegalArgumentException("retries (" + retries + ") must be in [0, 100]");
        }
        if (maxGroupMembers < 1) {
            throw new IllegalArgumentException("maxGroupMembers (" + maxGroupMembers + ") must be >= 1");
        }
    }

    private static void requireAtLeast(String name, Duration d, Duration min) {
        if (d == null || d.compareTo(min) < 0) {
            throw new IllegalArgumentException(name + " (" + d + ") must be >= " + min.toMillis() + "ms");
        }
    }

    /** Parses a {@code postgresql://} spec; {@code defaultMaxBatch} applies when the spec has no {@code maxBatch}. */
    public static PostgresConfig parse(String spec, int defaultMaxBatch) {
        if (spec == null || !spec.startsWith("postgresql://")) {
            throw new IllegalArgumentException("store spec (" + spec + ") must start with postgresql://");
        }
        String rest = spec.substring("postgresql://".length());
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String user = "postgres";
        String password = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String cred = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = cred.indexOf(':');
            user = decode(colon >= 0 ? cred.substring(0, colon) : cred);
            password = colon >= 0 ? decode(cred.substring(colon + 1)) : null;
        }
        int slash = rest.indexOf('/');
        String hosts = slash >= 0 ? rest.substring(0, slash) : rest;
        String database = slash >= 0 ? rest.substring(slash + 1) : "";
        if (hosts.isEmpty() || !hosts.matches(HOST_LIST)) {
            throw new IllegalArgumentException("store spec (" + redact(spec) + ") has no valid HOST[:PORT] list");
        }
        if (database.isEmpty() || !database.matches("[A-Za-z0-9_$-]+")) {
            throw new IllegalArgumentException("store spec (" + redact(spec) + ") needs /DATABASE, got '" + database + "'");
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (!query.isEmpty()) {
            for (String kv : query.split("&")) {
                int eq = kv.indexOf('=');
                String k = eq >= 0 ? kv.substring(0, eq) : kv;
                if (!KEYS.contains(k)) {
                    throw new IllegalArgumentException("unknown store parameter '" + k + "' in " + redact(spec)
                            + " (known: " + new java.util.TreeSet<>(KEYS) + ")");
                }
                params.put(k, eq >= 0 ? decode(kv.substring(eq + 1)) : "");
            }
        }
        String replica = params.get("replica");
        if (replica != null && !replica.matches(HOST_LIST)) {
            throw new IllegalArgumentException("replica (" + replica + ") must be HOST[:PORT][,HOST2[:PORT2]...]");
        }
        user = params.getOrDefault("user", user);
        password = params.getOrDefault("password", password);
        return new PostgresConfig("jdbc:postgresql://" + hosts + "/" + database, user, password,
                params.getOrDefault("schema", "public"),
                integer(params, "pool", 8),
                integer(params, "maxBatch", defaultMaxBatch),
                duration(params, "connectTimeout", Duration.ofSeconds(5)),
                duration(params, "socketTimeout", Duration.ofSeconds(30)),
                duration(params, "statementTimeout", Duration.ofSeconds(30)),
                integer(params, "retries", 5),
                integer(params, "maxGroupMembers", 1000),
                replica == null ? null : "jdbc:postgresql://" + replica + "/" + database);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static int integer(Map<String, String> params, String key, int dflt) {
        String v = params.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " (" + v + ") must be an integer");
        }
    }

    static Duration duration(Map<String, String> params, String key, Duration dflt) {
        String v = params.get(key);
        return v == null ? dflt : Durations.parse(key, v);
    }

    /** The spec without its password, for messages and logs. */
    static String redact(String spec) {
        return spec.replaceAll("(postgresql://[^:/@]*:)[^@]*@", "$1***@").replaceAll("password=[^&]*", "password=***");
    }

    @Override
    public String toString() {
        return jdbcUrl + "?schema=" + schema + "&user=" + user + "&pool=" + poolSize + "&maxBatch=" + maxBatch
                + (replicaJdbcUrl == null ? "" : "&replica=" + replicaJdbcUrl);
    }
}
