package io.stickyring.membership.zk;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.common.PathUtils;
import org.apache.zookeeper.data.ACL;

/**
 * How to reach ZooKeeper and which cluster's member list to use. Validated on construction: every
 * bad value is rejected with the value in the message.
 *
 * <p>Defaults (see {@link #of(String, String)} and docs/membership.md): session timeout 10 s,
 * connection timeout 5 s, retry bounded exponential backoff 200 ms .. 5 s, at most 10 retries,
 * no auth.
 *
 * @param connectString     {@code host:port[,host:port...][/chroot]}; the chroot is applied as a
 *                          Curator namespace, created if missing
 * @param cluster           cluster name, one znode name ({@code [A-Za-z0-9._-]{1,64}}, not "." or "..")
 * @param sessionTimeout    ZooKeeper session timeout: how long a crashed chat node stays in views
 *                          (the server clamps it to 2..20 ticks)
 * @param connectionTimeout how long one connection attempt may take
 * @param retryBaseSleep    first retry delay of an operation that lost its connection
 * @param retryMaxSleep     ceiling of the retry delay
 * @param retryMaxAttempts  retries per operation (0..29)
 * @param digestAuth        {@code user:password} for ZooKeeper digest auth, or "" for none; when
 *                          set, created znodes get CREATOR_ALL_ACL (only that user reads or writes)
 */
public record ZkSettings(String connectString, String cluster, Duration sessionTimeout, Duration connectionTimeout,
                         Duration retryBaseSleep, Duration retryMaxSleep, int retryMaxAttempts, String digestAuth) {

    public static final String DEFAULT_CONNECT = "127.0.0.1:2181";
    public static final String DEFAULT_CLUSTER = "default";
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_RETRY_BASE_SLEEP = Duration.ofMillis(200);
    public static final Duration DEFAULT_RETRY_MAX_SLEEP = Duration.ofSeconds(5);
    public static final int DEFAULT_RETRY_MAX_ATTEMPTS = 10;

    /** Root of everything stickyring stores: {@code /stickyring/<cluster>/...}. */
    public static final String ROOT = "/stickyring";

    private static final Pattern CLUSTER = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    public ZkSettings {
        Objects.requireNonNull(connectString, "connectString");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        Objects.requireNonNull(connectionTimeout, "connectionTimeout");
        Objects.requireNonNull(retryBaseSleep, "retryBaseSleep");
        Objects.requireNonNull(retryMaxSleep, "retryMaxSleep");
        digestAuth = digestAuth == null ? "" : digestAuth;
        validateConnectString(connectString);
        validateCluster(cluster);
        requireAtLeast("sessionTimeout", sessionTimeout, Duration.ofMillis(100));
        requireAtMost("sessionTimeout", sessionTimeout, Duration.ofMinutes(10));
        requireAtLeast("connectionTimeout", connectionTimeout, Duration.ofMillis(100));
        requireAtLeast("retryBaseSleep", retryBaseSleep, Duration.ofMillis(1));
        if (retryMaxSleep.compareTo(retryBaseSleep) < 0) {
            throw new IllegalArgumentException("retryMaxSleep (" + retryMaxSleep.toMillis() + " ms) must be >= retryBaseSleep ("
                    + retryBaseSleep.toMillis() + " ms)");
        }
        requireAtMost("retryMaxSleep", retryMaxSleep, Duration.ofMinutes(10));
        if (retryMaxAttempts < 0 || retryMaxAttempts > 29) {
            throw new IllegalArgumentException("retryMaxAttempts (" + retryMaxAttempts + ") must be in 0..29");
        }
        if (!digestAuth.isEmpty()) {
            int colon = digestAuth.indexOf(':');
            if (colon <= 0 || colon == digestAuth.length() - 1) {
                // The password is not echoed: only the user part (if any) is named.
                throw new IllegalArgumentException("digestAuth must be user:password with both parts non-empty (user '"
                        + (colon > 0 ? digestAuth.substring(0, colon) : "") + "')");
            }
        }
    }

    /** Settings with every default except where and which cluster. */
    public static ZkSettings of(String connectString, String cluster) {
        return new ZkSettings(connectString, cluster, DEFAULT_SESSION_TIMEOUT, DEFAULT_CONNECTION_TIMEOUT,
                DEFAULT_RETRY_BASE_SLEEP, DEFAULT_RETRY_MAX_SLEEP, DEFAULT_RETRY_MAX_ATTEMPTS, "");
    }

    public ZkSettings withSessionTimeout(Duration value) {
        return new ZkSettings(connectString, cluster, value, connectionTimeout, retryBaseSleep, retryMaxSleep, retryMaxAttempts, digestAuth);
    }

    public ZkSettings withConnectionTimeout(Duration value) {
        return new ZkSettings(connectString, cluster, sessionTimeout, value, retryBaseSleep, retryMaxSleep, retryMaxAttempts, digestAuth);
    }

    public ZkSettings withRetry(Duration baseSleep, Duration maxSleep, int maxAttempts) {
        return new ZkSettings(connectString, cluster, sessionTimeout, connectionTimeout, baseSleep, maxSleep, maxAttempts, digestAuth);
    }

    public ZkSettings withDigestAuth(String userColonPassword) {
        return new ZkSettings(connectString, cluster, sessionTimeout, connectionTimeout, retryBaseSleep, retryMaxSleep, retryMaxAttempts,
                userColonPassword);
    }

    /** The host list without the chroot. */
    public String hosts() {
        int slash = connectString.indexOf('/');
        return slash < 0 ? connectString : connectString.substring(0, slash);
    }

    /** The chroot without leading or trailing '/', or "" for none; used as the Curator namespace. */
    public String chroot() {
        int slash = connectString.indexOf('/');
        if (slash < 0) {
            return "";
        }
        String path = connectString.substring(slash);
        while (path.endsWith("/") && path.length() > 1) {
            path = path.substring(0, path.length() - 1);
        }
        return path.equals("/") ? "" : path.substring(1);
    }

    /** {@code /stickyring/<cluster>/members}: parent of every member's ephemeral znode. */
    public String membersPath() {
        return membersPath(cluster);
    }

    /** {@code /stickyring/<cluster>/members} for any valid cluster name. */
    public static String membersPath(String cluster) {
        return ROOT + "/" + validateCluster(cluster) + "/members";
    }

    /**
     * Returns {@code cluster} if it is a valid cluster name.
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public static String validateCluster(String cluster) {
        Objects.requireNonNull(cluster, "cluster");
        if (!CLUSTER.matcher(cluster).matches() || cluster.equals(".") || cluster.equals("..")) {
            throw new IllegalArgumentException("cluster (" + cluster + ") must be 1..64 characters of [A-Za-z0-9._-], not '.' or '..'");
        }
        return cluster;
    }

    /**
     * {@code /stickyring/<cluster>/members/<id>}.
     *
     * @throws IllegalArgumentException if {@code id} cannot be one znode name
     */
    public static String memberPath(String cluster, String id) {
        Objects.requireNonNull(id, "id");
        if (id.isEmpty() || id.indexOf('/') >= 0 || id.equals(".") || id.equals("..")) {
            throw new IllegalArgumentException("member id (" + id + ") cannot be a znode name: it must be non-empty, "
                    + "contain no '/', and not be '.' or '..'");
        }
        String path = membersPath(cluster) + "/" + id;
        try {
            PathUtils.validatePath(path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("member id (" + id + ") cannot be a znode name: " + e.getMessage(), e);
        }
        return path;
    }

    public boolean hasAuth() {
        return !digestAuth.isEmpty();
    }

    /**
     * A new, not yet started Curator client for these settings. The caller starts and closes it
     * (close it after every recipe built on it).
     */
    public CuratorFramework newClient() {
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(hosts())
                .sessionTimeoutMs(Math.toIntExact(sessionTimeout.toMillis()))
                .connectionTimeoutMs(Math.toIntExact(connectionTimeout.toMillis()))
                .retryPolicy(new BoundedExponentialBackoffRetry(Math.toIntExact(retryBaseSleep.toMillis()),
                        Math.toIntExact(retryMaxSleep.toMillis()), retryMaxAttempts));
        String namespace = chroot();
        if (!namespace.isEmpty()) {
            builder.namespace(namespace);
        }
        if (hasAuth()) {
            builder.authorization("digest", digestAuth.getBytes(StandardCharsets.UTF_8)).aclProvider(new CreatorAllAcl());
        }
        CuratorFramework client = builder.build();
        ZkConnectionLog.attach(client, connectString, connectionTimeout);
        return client;
    }

    /** The password is masked so settings can be logged. */
    @Override
    public String toString() {
        return "ZkSettings[connectString=" + connectString + ", cluster=" + cluster + ", sessionTimeout=" + sessionTimeout.toMillis()
                + "ms, connectionTimeout=" + connectionTimeout.toMillis() + "ms, retry=" + retryBaseSleep.toMillis() + ".."
                + retryMaxSleep.toMillis() + "ms x" + retryMaxAttempts + ", digestAuth="
                + (hasAuth() ? digestAuth.substring(0, digestAuth.indexOf(':')) + ":****" : "none") + "]";
    }

    /**
     * The record's invariant only: no blanks, no empty host entry, a valid chroot. The HOST:PORT
     * grammar of each entry is the edge's ({@code io.stickyring.cli.ZkOptions} parses {@code --zk}
     * with the one address parser of every flag), so it is not restated here.
     */
    private static void validateConnectString(String connectString) {
        String trimmed = connectString.trim();
        if (trimmed.isEmpty() || !trimmed.equals(connectString) || connectString.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("connectString (" + connectString + ") must be host:port[,host:port...][/chroot] without spaces");
        }
        int slash = connectString.indexOf('/');
        String hosts = slash < 0 ? connectString : connectString.substring(0, slash);
        for (String hostPort : hosts.split(",", -1)) {
            if (hostPort.isEmpty()) {
                throw new IllegalArgumentException("connectString (" + connectString + ") has an empty host entry");
            }
        }
        if (slash >= 0) {
            String chroot = connectString.substring(slash);
            String normalized = chroot.length() > 1 && chroot.endsWith("/") ? chroot.substring(0, chroot.length() - 1) : chroot;
            try {
                PathUtils.validatePath(normalized);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("connectString (" + connectString + "): chroot '" + chroot + "' is not a valid path: "
                        + e.getMessage(), e);
            }
        }
    }

    private static void requireAtLeast(String name, Duration value, Duration min) {
        if (value.compareTo(min) < 0) {
            throw new IllegalArgumentException(name + " (" + value.toMillis() + " ms) must be >= " + min.toMillis() + " ms");
        }
    }

    private static void requireAtMost(String name, Duration value, Duration max) {
        if (value.compareTo(max) > 0) {
            throw new IllegalArgumentException(name + " (" + value.toMillis() + " ms) must be <= " + max.toMillis() + " ms");
        }
    }

    /** Nodes created by an authenticated client are readable and writable by that digest user only. */
    private static final class CreatorAllAcl implements ACLProvider {
        @Override
        public List<ACL> getDefaultAcl() {
            return ZooDefs.Ids.CREATOR_ALL_ACL;
        }

        @Override
        public List<ACL> getAclForPath(String path) {
            return ZooDefs.Ids.CREATOR_ALL_ACL;
        }
    }
}
