package io.stickyring.lb.nft;

import io.stickyring.lb.config.LbConfig;
import io.stickyring.lb.config.ProxyProtocolMode;
import io.stickyring.ring.KeyMode;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * Validated settings of the nft data plane.
 *
 * @param table the nftables table this LB owns ({@code --nft-table}, default {@code stickyring}); one
 *              table per LB/cluster on a host. Letters, digits and {@code _}, 1..32 characters.
 * @param vip   the virtual service address (the {@code --listen} host; must be an IP literal)
 * @param port  the virtual service TCP port
 * @param slots M, the number of jhash slots ({@code --nft-slots}, default 65537, 1..1048576). More
 *              slots follow the algorithm's shares more closely; 65,537 install in ~0.3 s.
 * @param snat  masquerade forwarded flows to the LB's address ({@code --nft-snat}): works without
 *              the backends' return route through the LB, but hides the client address.
 * @param counters what the kernel counts per member ({@code --nft-counters}, default {@code flows}; see
 *              {@link Counters})
 */
public record NftConfig(String table, InetAddress vip, int port, int slots, boolean snat, Counters counters) {

    /**
     * Per-member counting in the kernel, by what it costs per packet (docs/lb.md, "Per-member
     * counters"; bench/lb/l3.sh measures each).
     */
    public enum Counters {
        /** No counter rules: nothing on the packet path beyond the DNAT rule. */
        OFF,
        /**
         * New flows per member: one rule in a nat postrouting chain, which the kernel evaluates only
         * for a flow's first packet (later packets follow conntrack's NAT binding), so nothing per
         * packet. The default.
         */
        FLOWS,
        /**
         * {@link #FLOWS} plus packets and bytes per member, both directions: a filter forward chain
         * evaluated on every forwarded packet (about 8% of the minimal rule set's rates in the L3
         * benchmark); locally generated flows (the output hook) are not forwarded, so not counted here.
         */
        PACKETS;

        /** {@code --nft-counters} value: {@code flows} (or {@code true}), {@code packets}, {@code off} (or {@code false}). */
        public static Counters parse(String value) {
            String v = value == null ? "" : value.strip().toLowerCase(java.util.Locale.ROOT);
            return switch (v) {
                case "flows", "true" -> FLOWS;
                case "packets" -> PACKETS;
                case "off", "false" -> OFF;
                default -> throw new IllegalArgumentException("nft-counters (" + value + ") must be flows, packets or off");
            };
        }
    }

    /** With the default per-member counters ({@link Counters#FLOWS}). */
    public NftConfig(String table, InetAddress vip, int port, int slots, boolean snat) {
        this(table, vip, port, slots, snat, Counters.FLOWS);
    }

    public static final String DEFAULT_TABLE = "stickyring";
    public static final int DEFAULT_SLOTS = 65_537;
    public static final int MAX_SLOTS = 1 << 20;

    public NftConfig {
        Objects.requireNonNull(vip, "vip");
        Objects.requireNonNull(counters, "counters");
        if (table == null || !table.matches("[A-Za-z][A-Za-z0-9_]{0,31}")) {
            throw new IllegalArgumentException("nft-table (" + table
                    + ") must be 1..32 letters, digits or _ and start with a letter");
        }
        if (vip.isAnyLocalAddress()) {
            throw new IllegalArgumentException("listen address (" + vip.getHostAddress()
                    + ") must be the virtual service's IP address in nft mode, not a wildcard");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("listen port (" + port + ") must be in 1..65535 in nft mode");
        }
        if (slots < 1 || slots > MAX_SLOTS) {
            throw new IllegalArgumentException("nft-slots (" + slots + ") must be in 1.." + MAX_SLOTS);
        }
    }

    /**
     * The one line refusing the settings the kernel path cannot honour (at start and on reload), or
     * null when {@code cfg} has none of them.
     */
    public static String proxyOnlySettings(LbConfig cfg) {
        if (cfg.keyMode() != KeyMode.ADDRESS) {
            return "key-mode (" + cfg.keyMode() + ") is not supported with --dataplane nft: the kernel hashes the client address";
        }
        if (cfg.balanceFactor() != 0 || cfg.maxConnectionsPerMember() != 0 || !cfg.slowStart().isZero()
                || cfg.proxyProtocol() != ProxyProtocolMode.NONE || cfg.acceptProxyProtocol()) {
            return "--balance-factor, --max-connections-per-member, --slow-start and the PROXY"
                    + " protocol options need the proxy data plane (the kernel never sees connection counts or payload)";
        }
        if (cfg.keepConnectionsOnDown()) {
            return "--keep-connections-on-down is not supported with --dataplane nft: a down"
                    + " member's flows are deleted so its clients reconnect elsewhere";
        }
        return null;
    }

    /** The table of the per-member counters ({@code TABLE_stats}), apart so polling it is cheap. */
    public String statsTable() {
        return table + "_stats";
    }

    public boolean ipv6() {
        return vip instanceof Inet6Address;
    }

    /** nftables family: {@code ip} or {@code ip6}. */
    public String family() {
        return ipv6() ? "ip6" : "ip";
    }

    /** conntrack {@code -f} value: {@code ipv4} or {@code ipv6}. */
    public String conntrackFamily() {
        return ipv6() ? "ipv6" : "ipv4";
    }
}
