package io.stickyring.chat.loadgen;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Validated settings of one load run. {@code rate} is total sends per second over all users;
 * {@code shape} {@code direct} pairs users (0,1), (2,3), ...; {@code group} puts them in groups of
 * {@code groupSize}. User i connects from source IP {@code 127.<ipBase + i/62500>.<(i/250)%250>.<i%250+1>}.
 * {@code colocateAdmin} (optional, an LB admin URL): source IPs are picked so that the members of
 * each conversation hash to the same chat node (asked with {@code GET /lookup?ip=}); for clusters
 * whose nodes do not share a message bus (the in-process bus of the embedded setup). Latency of
 * messages sent in the first {@code warmup} is not recorded (JIT, connection set-up); every
 * message counts for correctness.
 */
public record LoadgenConfig(URI url, int users, double rate, int size, Shape shape, int groupSize, Duration duration,
                            Duration connectTimeout, Duration drainTimeout, int ipBase, int threads, String prefix,
                            Duration progressEvery, URI colocateAdmin, Duration warmup, TransportSpec transport) {
    public enum Shape { DIRECT, GROUP }

    /** How the users talk to the nodes: {@code ws}, {@code longpoll} or {@code poll} (the naive baseline). */
    public enum Transport { WS, LONGPOLL, POLL }

    /**
     * The transport and its HTTP settings: {@code pollInterval} between polls in {@code poll} mode,
     * {@code pollWait} of a long poll, {@code keepAlive} off = one TCP connection per HTTP request.
     */
    public record TransportSpec(Transport mode, Duration pollInterval, Duration pollWait, boolean keepAlive) {
        public static final TransportSpec WEBSOCKET = new TransportSpec(Transport.WS, Duration.ofSeconds(1), Duration.ofSeconds(20), true);

        public TransportSpec {
            Objects.requireNonNull(mode, "transport");
            positive("poll interval", pollInterval);
            if (pollWait == null || pollWait.isNegative() || pollWait.toSeconds() > 300 || pollWait.toMillis() % 1000 != 0) {
                throw new IllegalArgumentException("poll wait (" + pollWait + ") must be whole seconds in [0s, 300s]");
            }
        }

        String label() {
            return mode.name().toLowerCase(java.util.Locale.ROOT) + (mode == Transport.WS ? "" : keepAlive ? "+keepalive" : "-keepalive")
                    + (mode == Transport.POLL ? "@" + pollInterval.toMillis() + "ms" : "");
        }
    }

    /** Over WebSockets (the settings before transports were selectable). */
    public LoadgenConfig(URI url, int users, double rate, int size, Shape shape, int groupSize, Duration duration,
                         Duration connectTimeout, Duration drainTimeout, int ipBase, int threads, String prefix,
                         Duration progressEvery, URI colocateAdmin, Duration warmup) {
        this(url, users, rate, size, shape, groupSize, duration, connectTimeout, drainTimeout, ipBase, threads, prefix,
                progressEvery, colocateAdmin, warmup, TransportSpec.WEBSOCKET);
    }

    /** Room in a body for the "sender:index:nanos:" header. */
    static final int MIN_SIZE = 48;

    public LoadgenConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(transport, "transport");
        if (!"http".equals(url.getScheme())) {
            throw new IllegalArgumentException("url (" + url + ") must be http://HOST:PORT (the LB or a node)");
        }
        if (users < 2 || users > 1_000_000) {
            throw new IllegalArgumentException("users (" + users + ") must be in [2, 1000000]");
        }
        if (shape == Shape.DIRECT && users % 2 != 0) {
            throw new IllegalArgumentException("users (" + users + ") must be even for shape direct");
        }
        if (shape == Shape.GROUP && (groupSize < 2 || groupSize > 1000 || users % groupSize != 0)) {
            throw new IllegalArgumentException("group size (" + groupSize + ") must be in [2, 1000] and divide users (" + users + ")");
        }
        if (!(rate > 0) || rate > 1_000_000) {
            throw new IllegalArgumentException("rate (" + rate + ") must be in (0, 1000000] sends/s");
        }
        if (size < MIN_SIZE || size > 16 * 1024) {
            throw new IllegalArgumentException("size (" + size + ") must be in [" + MIN_SIZE + ", 16384] bytes");
        }
        positive("duration", duration);
        positive("connect timeout", connectTimeout);
        positive("drain timeout", drainTimeout);
        positive("progress interval", progressEvery);
        if (warmup == null || warmup.isNegative() || warmup.compareTo(duration) >= 0) {
            throw new IllegalArgumentException("warmup (" + warmup + ") must be >= 0 and shorter than the duration (" + duration + ")");
        }
        if (colocateAdmin != null && !"http".equals(colocateAdmin.getScheme())) {
            throw new IllegalArgumentException("colocate admin (" + colocateAdmin + ") must be an http:// URL");
        }
        if (ipBase < 1 || ipBase > 254 || ipBase + (4L * users - 1) / 62_500 > 254) {
            throw new IllegalArgumentException("ip base (" + ipBase + ") must be in [1, 254] with room for " + users + " users");
        }
        if (threads < 0) {
            throw new IllegalArgumentException("threads (" + threads + ") must be >= 0");
        }
        if (prefix == null || !prefix.matches("[A-Za-z0-9_.-]{1,32}")) {
            throw new IllegalArgumentException("prefix (" + prefix + ") must match [A-Za-z0-9_.-]{1,32}");
        }
    }

    private static void positive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " (" + d + ") must be > 0");
        }
    }

    /** Candidate source IP number {@code i} (each a distinct 127.x.y.z). */
    String sourceIp(int i) {
        return "127." + (ipBase + i / 62_500) + "." + (i / 250) % 250 + "." + (i % 250 + 1);
    }

    String user(int i) {
        return prefix + "-" + i;
    }
}
