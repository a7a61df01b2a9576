package io.stickyring.cli;

import io.stickyring.membership.zk.ZkSettings;
import java.time.Duration;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * The ZooKeeper connection flags every command that talks to ZooKeeper shares, as a picocli
 * mixin ({@code @Mixin ZkOptions zkOptions;}); the command keeps its own {@code --zk} and
 * {@code --cluster}. Precedence: flag, then the {@code --config} file's key (the flag name
 * without dashes, e.g. {@code zk-session-timeout: 10s}; see {@link ConfigFile}), then the
 * {@link ZkSettings} default.
 *
 * <pre>
 * flag                      default
 * --zk-session-timeout      10s
 * --zk-connection-timeout   5s
 * --zk-retry-base-sleep     200ms
 * --zk-retry-max-sleep      5s
 * --zk-retry-max-attempts   10
 * --zk-auth USER:PASSWORD   none (env STICKYRING_ZK_AUTH also works)
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

    /** Settings from the flags (with the --config file under them), then the auth environment variable, then defaults. */
    public ZkSettings toSettings(String connectString, String cluster) {
        return toSettings(connectString, cluster, System::getenv);
    }

    /** @throws IllegalArgumentException naming the flag and its bad value */
    ZkSettings toSettings(String connectString, String cluster, Function<String, String> env) {
        Duration session = duration("--zk-session-timeout", sessionTimeout, ZkSettings.DEFAULT_SESSION_TIMEOUT);
        Duration connection = duration("--zk-connection-timeout", connectionTimeout, ZkSettings.DEFAULT_CONNECTION_TIMEOUT);
        Duration base = duration("--zk-retry-base-sleep", retryBaseSleep, ZkSettings.DEFAULT_RETRY_BASE_SLEEP);
        Duration max = duration("--zk-retry-max-sleep", retryMaxSleep, ZkSettings.DEFAULT_RETRY_MAX_SLEEP);
        int attempts = retryMaxAttempts != null ? retryMaxAttempts : ZkSettings.DEFAULT_RETRY_MAX_ATTEMPTS;
        String digest = auth != null ? auth : env.apply(AUTH_ENV);
        return new ZkSettings(connectString("--zk", connectString), cluster, session, connection, base, max, attempts, digest == null ? "" : digest);
    }

    /**
     * Checks a ZooKeeper connect string {@code HOST:PORT[,HOST:PORT...][/CHROOT]} with the one
     * address grammar of every flag ({@link HostPort#parseConnectable}: IPv6 in brackets, port
     * 1..65535) and returns it unchanged; the chroot is checked by {@link ZkSettings}.
     *
     * @throws IllegalArgumentException "--zk (VALUE): REASON"
     */
    public static String connectString(String flag, String text) {
        String s = text == null ? "" : text;
        int slash = s.indexOf('/');
        String hosts = slash < 0 ? s : s.substring(0, slash);
        for (String entry : hosts.split(",", -1)) {
            try {
                HostPort.parseConnectable(flag, entry);
            } catch (IllegalArgumentException e) {
                String reason = e.getMessage().substring(e.getMessage().indexOf("): ") + 3);
                throw new IllegalArgumentException(flag + " (" + text + "): entry '" + entry + "': " + reason
                        + " (a connect string is HOST:PORT[,HOST:PORT...][/CHROOT])", e);
            }
        }
        return text;
    }

    private static Duration duration(String flag, String value, Duration fallback) {
        return value == null ? fallback : Durations.parse(flag, value);
    }
}
