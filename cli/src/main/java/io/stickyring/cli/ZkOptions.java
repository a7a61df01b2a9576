package io.stickyring.cli;

import io.stickyring.membership.zk.ZkSettings;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * The ZooKeeper connection flags every command that talks to ZooKeeper shares, as a picocli
 * mixin ({@code @Mixin ZkOptions zkOptions;}); the command keeps its own {@code --zk} and
 * {@code --cluster}. Precedence: flag, then the YAML config file's key, then the
 * {@link ZkSettings} default.
 *
 * <pre>
 * flag                      YAML key               default
 * --zk-session-timeout      zkSessionTimeout       10s
 * --zk-connection-timeout   zkConnectionTimeout    5s
 * --zk-retry-base-sleep     zkRetryBaseSleep       200ms
 * --zk-retry-max-sleep      zkRetryMaxSleep        5s
 * --zk-retry-max-attempts   zkRetryMaxAttempts     10
 * --zk-auth USER:PASSWORD   zkAuth                 none (env STICKYRING_ZK_AUTH also works)
 * </pre>
 *
 * Durations follow {@link Durations} (250ms, 2s, 5m, 1h, 1m30s, 0), as every other flag.
 */
public final class ZkOptions {

    /** Environment variable read for digest auth when neither the flag nor the file sets it (keeps passwords out of ps). */
    public static final String AUTH_ENV = "STICKYRING_ZK_AUTH";


    @Option(names = "--zk-session-timeout", paramLabel = "DURATION",
            description = "ZooKeeper session timeout: how long a crashed node stays in views (default: 10s).")
    String sessionTimeout;

    @Option(names = "--zk-connection-timeout", paramLabel = "DURATION", description = "ZooKeeper connection timeout (default: 5s).")
    String connectionTimeout;

    @Option(names = "--zk-retry-base-sleep", paramLabel = "DURATION", description = "First retry delay of a ZooKeeper operation (default: 200ms).")
    String retryBaseSleep;

    @Option(names = "--zk-retry-max-sleep", paramLabel = "DURATION", description = "Largest retry delay (default: 5s).")
    String retryMaxSleep;

    @Option(names = "--zk-retry-max-attempts", paramLabel = "N", description = "Retries per ZooKeeper operation, 0..29 (default: 10).")
    Integer retryMaxAttempts;

    @Option(names = "--zk-auth", paramLabel = "USER:PASSWORD",
            description = "ZooKeeper digest auth; znodes become readable by that user only (default: none; env " + AUTH_ENV + ").")
    String auth;

    /** Settings from flags only (plus the auth environment variable). */
    public ZkSettings toSettings(String connectString, String cluster) {
        return toSettings(connectString, cluster, Map.of(), System::getenv);
    }

    /**
     * Settings from flags, then {@code file} (the parsed YAML config: keys as in the class doc),
     * then defaults.
     *
     * @throws IllegalArgumentException naming the flag or key and its bad value
     */
    public ZkSettings toSettings(String connectString, String cluster, Map<String, ?> file) {
        return toSettings(connectString, cluster, file, System::getenv);
    }

    ZkSettings toSettings(String connectString, String cluster, Map<String, ?> file, Function<String, String> env) {
        Objects.requireNonNull(file, "file");
        Duration session = duration("--zk-session-timeout", sessionTimeout, "zkSessionTimeout", file, ZkSettings.DEFAULT_SESSION_TIMEOUT);
        Duration connection = duration("--zk-connection-timeout", connectionTimeout, "zkConnectionTimeout", file,
                ZkSettings.DEFAULT_CONNECTION_TIMEOUT);
        Duration base = duration("--zk-retry-base-sleep", retryBaseSleep, "zkRetryBaseSleep", file, ZkSettings.DEFAULT_RETRY_BASE_SLEEP);
        Duration max = duration("--zk-retry-max-sleep", retryMaxSleep, "zkRetryMaxSleep", file, ZkSettings.DEFAULT_RETRY_MAX_SLEEP);
        int attempts;
        if (retryMaxAttempts != null) {
            attempts = retryMaxAttempts;
        } else if (file.get("zkRetryMaxAttempts") != null) {
            Object value = file.get("zkRetryMaxAttempts");
            if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new IllegalArgumentException("zkRetryMaxAttempts (" + value + ") must be an integer");
            }
            attempts = n.intValue();
        } else {
            attempts = ZkSettings.DEFAULT_RETRY_MAX_ATTEMPTS;
        }
        String digest = auth != null ? auth : file.get("zkAuth") != null ? String.valueOf(file.get("zkAuth")) : env.apply(AUTH_ENV);
        return new ZkSettings(connectString, cluster, session, connection, base, max, attempts, digest == null ? "" : digest);
    }

    private static Duration duration(String flag, String flagValue, String key, Map<String, ?> file, Duration fallback) {
        if (flagValue != null) {
            return Durations.parse(flag, flagValue);
        }
        Object value = file.get(key);
        return value == null ? fallback : Durations.parse(key, String.valueOf(value));
    }

}
