package io.stickyring.lb.config;

import java.util.Locale;

/**
 * How the proxy data plane relays a connection's bytes ({@code --proxy-engine}).
 *
 * <ul>
 *   <li>{@link #AUTO} (default): {@link #DIRECT} where it carries the configuration (epoll, the
 *   loops accepting, no accepted PROXY header), else {@link #CHANNELS}; the LB
 *   logs which, and why.</li>
 *   <li>{@link #CHANNELS}: a Netty channel and pipeline per socket (any transport, every
 *   option).</li>
 *   <li>{@link #DIRECT}: epoll only; each connection's two sockets are registered with the event loop
 *   as bare I/O handles and relayed by a small state machine, no channel, pipeline, promise or
 *   {@code ByteBuf} per connection (docs/lb.md, "Direct proxy engine"). Options it does not carry yet
 *   are refused at start-up.</li>
 * </ul>
 */
public enum ProxyEngine {
    AUTO, CHANNELS, DIRECT;

    /** Parses a flag value, naming it and the choices when it is none of them. */
    public static ProxyEngine parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("proxy-engine '" + s + "' is not one of auto, channels, direct");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
