package io.stickyring.chat.server;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The peers allowed to send a PROXY protocol header ({@code --trusted-proxies}): a list of
 * addresses and CIDR blocks, matched with Netty's {@link IpSubnetFilterRule}. A PROXY header
 * rewrites the client address the node sees, so only the LBs may send one; anyone else's header
 * is refused ({@link ProxyProtocolDetector}). Default: loopback only ({@value #DEFAULT}).
 * Immutable; parsed and validated once at start.
 */
public final class TrustedProxies {
    public static final String DEFAULT = "127.0.0.0/8,::1/128";

    private final String spec;
    private final List<IpSubnetFilterRule> rules;

    private TrustedProxies(String spec, List<IpSubnetFilterRule> rules) {
        this.spec = spec;
        this.rules = rules;
    }

    /**
     * Parses a comma-separated list of {@code ADDRESS} or {@code ADDRESS/PREFIX} (IPv4 or IPv6
     * literals, no host names); throws naming the first bad entry.
     */
    public static TrustedProxies parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("trusted proxies (" + spec + ") must list at least one address or CIDR, e.g. "
                    + DEFAULT);
        }
        List<IpSubnetFilterRule> rules = new ArrayList<>();
        for (String raw : spec.split(",")) {
            String entry = raw.trim();
            int slash = entry.indexOf('/');
            String ip = slash < 0 ? entry : entry.substring(0, slash);
            try {
                // Literals only: a host name would be resolved once, silently, at start.
                if (!ip.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
                    throw new IllegalArgumentException("not an IP literal");
                }
                InetAddress addr = InetAddress.getByName(ip);
                int bits = addr.getAddress().length * 8;
                int prefix = slash < 0 ? bits : Integer.parseInt(entry.substring(slash + 1));
                if (prefix < 0 || prefix > bits) {
                    throw new IllegalArgumentException("prefix out of range");
                }
                rules.add(new IpSubnetFilterRule(addr, prefix, IpFilterRuleType.ACCEPT));
            } catch (Exception e) {
                throw new IllegalArgumentException("trusted proxy '" + entry + "' is not an IP address or CIDR block"
                        + " (e.g. 10.0.0.21 or 10.0.0.0/24)");
            }
        }
        return new TrustedProxies(spec, List.copyOf(rules));
    }

    /** Whether {@code peer} (the TCP peer of a connection) may send a PROXY header. */
    public boolean trusts(SocketAddress peer) {
        if (!(peer instanceof InetSocketAddress isa) || isa.getAddress() == null) {
            return false;
        }
        for (IpSubnetFilterRule r : rules) {
            if (r.matches(isa)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return spec;
    }
}
