package io.stickyring.lb.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A {@code HOST:PORT} pair as given on the command line ({@code [v6]:PORT} for IPv6 literals).
 *
 * <p>Invariant: host non-empty, port in 0..65535 (0 = pick a free port, for tests).
 */
public record HostPort(String host, int port) {

    public HostPort {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port (" + port + ") must be in 0..65535");
        }
    }

    /** Parses {@code HOST:PORT} or {@code [V6]:PORT}; the message names the bad text. */
    public static HostPort parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (write IPv6 hosts as [ADDR]:PORT)");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port in '" + text + "' is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port (" + port + ") in '" + text + "' must be in 0..65535");
        }
        return new HostPort(host, port);
    }

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    /** True when the host is a loopback name or address (127.0.0.0/8, ::1, localhost). */
    public boolean isLoopback() {
        if (host.equals("localhost")) {
            return true;
        }
        InetSocketAddress a = new InetSocketAddress(host, port);
        return !a.isUnresolved() && a.getAddress().isLoopbackAddress();
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
