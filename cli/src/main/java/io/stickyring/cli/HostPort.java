package io.stickyring.cli;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The one {@code HOST:PORT} grammar of every stickyring flag and YAML key: {@code HOST:PORT}, or
 * {@code [V6]:PORT} for an IPv6 literal (a bare {@code ::1:80} is refused, the brackets make the
 * port unambiguous). Errors have one format, naming the flag and the value:
 * {@code --listen (::1:80): write an IPv6 host in brackets, e.g. [::1]:80}.
 *
 * <p>Invariant: host non-empty and without brackets; port in 0..65535 (0 = any free port), or
 * 1..65535 where a connection is made to it ({@link #parseConnectable}).
 */
public record HostPort(String host, int port) {

    /** What every error message shows as the accepted form. */
    public static final String FORM = "HOST:PORT or [IPv6]:PORT";

    public HostPort {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port (" + port + ") must be in 0..65535");
        }
    }

    /**
     * Parses an address to listen on (port 0 allowed).
     *
     * @param flag the flag or key the value came from, named in the error ({@code --listen})
     * @throws IllegalArgumentException "FLAG (VALUE): REASON"
     */
    public static HostPort parse(String flag, String text) {
        return parse(flag, text, 0);
    }

    /** Parses an address to connect to: as {@link #parse} but the port must be 1..65535. */
    public static HostPort parseConnectable(String flag, String text) {
        return parse(flag, text, 1);
    }

    private static HostPort parse(String flag, String text, int minPort) {
        String s = text == null ? "" : text.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw error(flag, text, "must be " + FORM);
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
            if (host.isEmpty()) {
                throw error(flag, text, "must be " + FORM);
            }
        } else if (host.indexOf(':') >= 0) {
            throw error(flag, text, "write an IPv6 host in brackets, e.g. [" + host + "]:" + s.substring(colon + 1));
        } else if (host.indexOf('[') >= 0 || host.indexOf(']') >= 0) {
            throw error(flag, text, "must be " + FORM);
        }
        String p = s.substring(colon + 1);
        int port;
        try {
            port = p.chars().allMatch(Character::isDigit) && p.length() <= 5 ? Integer.parseInt(p) : -1;
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < minPort || port > 65535) {
            throw error(flag, text, "port (" + p + ") must be in " + minPort + "..65535");
        }
        return new HostPort(host, port);
    }

    private static IllegalArgumentException error(String flag, String text, String reason) {
        return new IllegalArgumentException(flag + " (" + text + "): " + reason);
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

    /** {@code host:port}, {@code [v6]:port}: what {@link #parse} reads back. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
