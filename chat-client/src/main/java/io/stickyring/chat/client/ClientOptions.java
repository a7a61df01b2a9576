package io.stickyring.chat.client;

import io.stickyring.chat.protocol.ApiPaths;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Validated settings of a {@link ChatClient}. {@code server} is the base URL of the LB (or of a
 * node), e.g. {@code http://127.0.0.1:8080}; the client uses {@code <server>/ws} and the HTTP API
 * under it. Credentials: a {@code token} (a JWT your backend issued for {@code user}), a
 * {@code tokenSupplier} the client calls for a fresh token whenever it has none or the node
 * refused the one it had (close 1008 / HTTP 401, e.g. expired), or both (the token is used first).
 * {@code devLogin} ({@code POST /api/login}, anyone as anyone) is used only when asked for
 * explicitly, for development nodes; a client with none of the three is refused at build time.
 * {@code localAddress} binds the client's source IP (any 127.x.y.z on loopback), null = any.
 */
public record ClientOptions(URI server, String user, String token, InetAddress localAddress, TransportMode transport,
                            String wsPath, Duration backoffBase, Duration backoffMax, Duration pingInterval,
                            Duration pongTimeout, int wsFailuresBeforeFallback, Duration pollWait,
                            Duration pollModeFor, Duration retryRefusedSend, Duration pollInterval, boolean keepAlive,
                            Supplier<? extends CompletionStage<String>> tokenSupplier, boolean devLogin) {

    /** Which transports the client may use. */
    public enum TransportMode {
        /** WebSocket; after {@code wsFailuresBeforeFallback} refused WebSocket upgrades in a row, long polling. */
        AUTO,
        WEBSOCKET,
        /** {@code GET /api/poll} that waits up to {@code pollWait} for a message. */
        LONG_POLL,
        /** The naive baseline: a non-waiting {@code GET /api/poll} every {@code pollInterval} (for measuring it). */
        POLL
    }

    public ClientOptions {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(transport, "transport");
        if (!"http".equals(server.getScheme()) && !"https".equals(server.getScheme())) {
            throw new IllegalArgumentException("server (" + server + ") must be an http:// or https:// URL");
        }
        if (!user.matches("[A-Za-z0-9_.@-]{1,64}")) {
            throw new IllegalArgumentException("user (" + user + ") must match [A-Za-z0-9_.@-]{1,64}");
        }
        if (wsPath == null || !wsPath.startsWith("/")) {
            throw new IllegalArgumentException("wsPath (" + wsPath + ") must start with /");
        }
        positive("backoffBase", backoffBase);
        positive("backoffMax", backoffMax);
        positive("pingInterval", pingInterval);
        positive("pongTimeout", pongTimeout);
        positive("pollModeFor", pollModeFor);
        positive("retryRefusedSend", retryRefusedSend);
        if (backoffMax.compareTo(backoffBase) < 0) {
            throw new IllegalArgumentException("backoffMax (" + backoffMax + ") must be >= backoffBase (" + backoffBase + ")");
        }
        if (wsFailuresBeforeFallback < 1) {
            throw new IllegalArgumentException("wsFailuresBeforeFallback (" + wsFailuresBeforeFallback + ") must be >= 1");
        }
        if (pollWait == null || pollWait.isNegative() || pollWait.toSeconds() > 300) {
            throw new IllegalArgumentException("pollWait (" + pollWait + ") must be in [0s, 300s]");
        }
        positive("pollInterval", pollInterval);
        if (token == null && tokenSupplier == null && !devLogin) {
            throw new IllegalArgumentException("client for user " + user + " has no credentials: give token(JWT), "
                    + "tokenSupplier(...) (asked again after an expired-token close) or, for development nodes only, devLogin(true)");
        }
    }

    private static void positive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " (" + d + ") must be > 0");
        }
    }

    /** Defaults: AUTO transport, backoff 250 ms..10 s, ping every 15 s, pong timeout 10 s. */
    public static Builder builder(URI server, String user) {
        return new Builder(server, user);
    }

    public static final class Builder {
        private final URI server;
        private final String user;
        private String token;
        private InetAddress localAddress;
        private TransportMode transport = TransportMode.AUTO;
        private String wsPath = ApiPaths.WS;
        private Duration backoffBase = Duration.ofMillis(250);
        private Duration backoffMax = Duration.ofSeconds(10);
        private Duration pingInterval = Duration.ofSeconds(15);
        private Duration pongTimeout = Duration.ofSeconds(10);
        private int wsFailuresBeforeFallback = 3;
        private Duration pollWait = Duration.ofSeconds(20);
        private Duration pollModeFor = Duration.ofSeconds(60);
        private Duration retryRefusedSend = Duration.ofSeconds(1);
        private Duration pollInterval = Duration.ofSeconds(1);
        private boolean keepAlive = true;
        private Supplier<? extends CompletionStage<String>> tokenSupplier;
        private boolean devLogin;

        private Builder(URI server, String user) {
            this.server = server;
            this.user = user;
        }

        public Builder token(String v) {
            token = v;
            return this;
        }

        /**
         * Where fresh tokens come from: called (on the client's event loop: return at once, do the
         * work elsewhere) when the client has no token or the node refused its token (close 1008
         * or HTTP 401, e.g. expired); the stage completes with a JWT for this user.
         */
        public Builder tokenSupplier(Supplier<? extends CompletionStage<String>> v) {
            tokenSupplier = v;
            return this;
        }

        /**
         * Development only: without a token, get one from the node's dev login ({@code POST
         * /api/login}, which lets anyone be anyone and is off on production nodes). Default off.
         */
        public Builder devLogin(boolean v) {
            devLogin = v;
            return this;
        }

        public Builder localAddress(InetAddress v) {
            localAddress = v;
            return this;
        }

        public Builder transport(TransportMode v) {
            transport = v;
            return this;
        }

        public Builder wsPath(String v) {
            wsPath = v;
            return this;
        }

        public Builder backoff(Duration base, Duration max) {
            backoffBase = base;
            backoffMax = max;
            return this;
        }

        public Builder ping(Duration interval, Duration timeout) {
            pingInterval = interval;
            pongTimeout = timeout;
            return this;
        }

        public Builder wsFailuresBeforeFallback(int v) {
            wsFailuresBeforeFallback = v;
            return this;
        }

        public Builder pollWait(Duration v) {
            pollWait = v;
            return this;
        }

        public Builder pollModeFor(Duration v) {
            pollModeFor = v;
            return this;
        }

        public Builder retryRefusedSend(Duration v) {
            retryRefusedSend = v;
            return this;
        }

        /** Interval between polls in {@link TransportMode#POLL} (default 1s). */
        public Builder pollInterval(Duration v) {
            pollInterval = v;
            return this;
        }

        /** HTTP keep-alive for the HTTP transports (default on); off = one TCP connection per request. */
        public Builder keepAlive(boolean v) {
            keepAlive = v;
            return this;
        }

        public ClientOptions build() {
            return new ClientOptions(server, user, token, localAddress, transport, wsPath, backoffBase, backoffMax,
                    pingInterval, pongTimeout, wsFailuresBeforeFallback, pollWait, pollModeFor, retryRefusedSend,
                    pollInterval, keepAlive, tokenSupplier, devLogin);
        }
    }
}
