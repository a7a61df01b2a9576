package io.stickyring.lb.proxy;

import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.stickyring.lb.config.ProxyProtocolMode;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Builds the PROXY protocol header (haproxy.org/download/2.9/doc/proxy-protocol.txt) announcing the
 * client's address to a member. Both addresses are given in one family: IPv4 when both are IPv4 (or
 * IPv4-mapped IPv6), otherwise IPv6 with IPv4 addresses mapped to ::ffff:a.b.c.d.
 */
public final class ProxyHeaders {

    private ProxyHeaders() {
    }

    public static HAProxyMessage header(ProxyProtocolMode mode, InetSocketAddress src, InetSocketAddress dst) {
        HAProxyProtocolVersion version = mode == ProxyProtocolMode.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2;
        InetAddress s = unmap(src.getAddress());
        InetAddress d = unmap(dst.getAddress());
        boolean v4 = s instanceof Inet4Address && d instanceof Inet4Address;
        String sa = v4 ? s.getHostAddress() : v6(s);
        String da = v4 ? d.getHostAddress() : v6(d);
        return new HAProxyMessage(version, HAProxyCommand.PROXY, v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
                sa, da, src.getPort(), dst.getPort());
    }

    private static InetAddress unmap(InetAddress a) {
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return a;
    }

    private static String v6(InetAddress a) {
        if (a instanceof Inet4Address) {
            return "::ffff:" + a.getHostAddress();
        }
        String s = a.getHostAddress();
        int scope = s.indexOf('%');
        return scope >= 0 ? s.substring(0, scope) : s;
    }
}
