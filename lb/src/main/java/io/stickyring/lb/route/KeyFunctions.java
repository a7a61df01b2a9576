package io.stickyring.lb.route;

import io.stickyring.ring.ClientKeys;
import io.stickyring.ring.KeyMode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Ring keys from client addresses: the LB uses membership's {@link ClientKeys} (the same derivation
 * ring-sim and every other LB instance use), so a client maps identically everywhere.
 */
public final class KeyFunctions {

    private KeyFunctions() {
    }

    public static KeyFunction of(KeyMode mode, int prefixV4, int prefixV6) {
        ClientKeys keys = new ClientKeys(mode, prefixV4, prefixV6);
        return keys::key;
    }

    /** Key of a bare IP literal as the function computes it for port 0 (used by /lookup). */
    public static long keyOf(KeyFunction f, String ip) {
        return f.key(new InetSocketAddress(parseLiteral(ip), 0));
    }

    /** Parses an IP literal without DNS; the message names the bad text. */
    public static InetAddress parseLiteral(String ip) {
        if (ip == null || ip.isEmpty() || !(ip.indexOf(':') >= 0 || ip.matches("[0-9.]+"))) {
            throw new IllegalArgumentException("'" + ip + "' is not an IP address literal");
        }
        try {
            return InetAddress.getByName(ip);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + ip + "' is not an IP address literal");
        }
    }
}
