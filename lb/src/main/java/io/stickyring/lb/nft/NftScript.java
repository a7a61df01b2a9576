package io.stickyring.lb.nft;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HexFormat;

/**
 * Renders the {@code nft -f} scripts of the data plane (text only; {@link NftDataPlane} runs them).
 *
 * <p>The table (family {@code ip} or {@code ip6}):
 * <pre>
 * map slots    { typeof jhash ip saddr mod 2 : ip daddr . tcp dport }   slot -> member address . port
 * chain prerouting (nat, dstnat)  ip daddr VIP tcp dport P dnat ip to jhash ip saddr mod M seed S map @slots
 * chain output     (nat, -100)    the same, for clients on the LB host itself
 * chain postrouting (nat, srcnat) masquerade the VIP's flows (only with --nft-snat)
 * </pre>
 * and, unless {@code --nft-counters=off}, the table {@code TABLE_stats} (listing it does not load the
 * slot map), recreated empty at every start (its counters count from the LB's start, as any process's):
 * <pre>
 * map mflows   { type ipv4_addr . inet_service : counter }             member -> its new-flow counter
 * chain postrouting (nat, srcnat - 1)  count each flow of the VIP once, on its first packet, by member
 * map mcount   { type ipv4_addr . inet_service : counter }             only with --nft-counters=packets:
 * chain forward    (filter, 0)    count both directions of the VIP's forwarded packets per member
 * </pre>
 * Invariant: {@link #setup} is idempotent and never deletes the table or the slots map ({@code add}
 * of an existing object is a no-op; the rule chains are flushed and refilled in the same
 * transaction), so running it over a live table changes no established flow.
 */
final class NftScript {

    private NftScript() {
    }

    static String setup(NftConfig c, int seed) {
        String f = c.family();
        String addrType = c.ipv6() ? "ipv6_addr" : "ipv4_addr";
        String t = f + " " + c.table();
        String match = f + " daddr " + c.vip().getHostAddress() + " tcp dport " + c.port();
        String dnat = match + " dnat " + f + " to jhash " + f + " saddr mod " + c.slots()
                + " seed 0x" + String.format("%08x", seed) + " map @slots";
        String flow = "meta l4proto tcp ct original " + f + " daddr " + c.vip().getHostAddress()
                + " ct original proto-dst " + c.port();
        String st = f + " " + c.statsTable();
        StringBuilder s = new StringBuilder();
        s.append("add table ").append(t).append('\n');
        s.append("add map ").append(t).append(" slots { typeof jhash ").append(f).append(" saddr mod 2 : ")
                .append(f).append(" daddr . tcp dport; }\n");
        chain(s, t, "prerouting", "type nat hook prerouting priority dstnat; policy accept;");
        chain(s, t, "output", "type nat hook output priority -100; policy accept;");
        chain(s, t, "forward", "type filter hook forward priority 0; policy accept;");
        chain(s, t, "postrouting", "type nat hook postrouting priority srcnat; policy accept;");
        // A base chain is a hook on every packet even when empty: keep only the ones with rules. The
        // counters live in a table of their own, because every nft listing of the main table loads
        // its whole slot map (0.4 CPU s for 65,537 slots), too much for a poll every 2 s. Deleting
        // a chain, a map or the counters table touches no flow; an adopted table of an older layout
        // or of a run with other options is brought to this one.
        s.append("delete chain ").append(t).append(" forward\n");
        s.append("add map ").append(t).append(" mcount { type ").append(addrType).append(" . inet_service : counter; }\n");
        s.append("delete map ").append(t).append(" mcount\n");
        if (!c.snat()) {
            s.append("delete chain ").append(t).append(" postrouting\n");
        }
        s.append("add rule ").append(t).append(" prerouting ").append(dnat).append('\n');
        s.append("add rule ").append(t).append(" output ").append(dnat).append('\n');
        if (c.snat()) {
            s.append("add rule ").append(t).append(" postrouting ").append(flow).append(" masquerade\n");
        }
        // the stats table holds no flow state (NAT bindings live in conntrack): recreate it, so an
        // adopted table of any earlier layout or --nft-counters value converges in this transaction
        s.append("add table ").append(st).append('\n');
        s.append("delete table ").append(st).append('\n');
        if (c.counters() != NftConfig.Counters.OFF) {
            s.append("add table ").append(st).append('\n');
            s.append("add map ").append(st).append(" mflows { type ").append(addrType).append(" . inet_service : counter; }\n");
            // a nat chain sees only a flow's first packet; after the DNAT, so daddr is the member's.
            // Before srcnat: once a chain of this hook sets up a source NAT (--nft-snat's masquerade),
            // the kernel evaluates no later chain of the hook for that flow.
            chain(s, st, "postrouting", "type nat hook postrouting priority 99; policy accept;");
            s.append("add rule ").append(st).append(" postrouting ").append(flow).append(" counter name ")
                    .append(f).append(" daddr . tcp dport map @mflows\n");
        }
        if (c.counters() == NftConfig.Counters.PACKETS) {
            s.append("add map ").append(st).append(" mcount { type ").append(addrType).append(" . inet_service : counter; }\n");
            chain(s, st, "forward", "type filter hook forward priority 0; policy accept;");
            s.append("add rule ").append(st).append(" forward ").append(flow).append(" ct direction original counter name ")
                    .append(f).append(" daddr . tcp dport map @mcount\n");
            s.append("add rule ").append(st).append(" forward ").append(flow).append(" ct direction reply counter name ")
                    .append(f).append(" saddr . tcp sport map @mcount\n");
        }
        return s.toString();
    }

    private static void chain(StringBuilder s, String t, String name, String spec) {
        s.append("add chain ").append(t).append(' ').append(name).append(" { ").append(spec).append(" }\n");
        s.append("flush chain ").append(t).append(' ').append(name).append('\n');
    }

    /**
     * The counters of {@code targets} in the stats table (their new-flow counter, and with
     * {@code packets} their packet counter) and the map elements naming them; empty with counters off.
     * Idempotent: adding an existing counter or the same element is a no-op.
     */
    static String counters(NftConfig c, Iterable<SlotTable.Target> targets) {
        if (c.counters() == NftConfig.Counters.OFF) {
            return "";
        }
        String st = c.family() + " " + c.statsTable();
        StringBuilder s = new StringBuilder();
        for (SlotTable.Target target : targets) {
            counter(s, st, "mflows", flowCounterName(target), target);
            if (c.counters() == NftConfig.Counters.PACKETS) {
                counter(s, st, "mcount", counterName(target), target);
            }
        }
        return s.toString();
    }

    private static void counter(StringBuilder s, String st, String map, String name, SlotTable.Target target) {
        s.append("add counter ").append(st).append(' ').append(name).append('\n');
        s.append("add element ").append(st).append(' ').append(map).append(" { ").append(element(target)).append(" : \"")
                .append(name).append("\" }\n");
    }

    /**
     * The one transaction that turns {@code before} into {@code after}: {@code delete element} for
     * every changed slot that had a target and {@code add element} for every changed slot that has
     * one (the kernel refuses to overwrite an element). Empty when nothing changed.
     */
    static String diff(NftConfig c, SlotTable before, SlotTable after) {
        int[] changed = before.changedSlots(after);
        if (changed.length == 0) {
            return "";
        }
        String t = c.family() + " " + c.table();
        StringBuilder s = new StringBuilder();
        elements(s, "delete", t, changed, before);
        elements(s, "add", t, changed, after);
        return s.toString();
    }

    private static void elements(StringBuilder s, String verb, String t, int[] changed, SlotTable table) {
        int inLine = 0;
        for (int slot : changed) {
            SlotTable.Target target = table.get(slot);
            if (target == null) {
                continue;
            }
            // one statement per 4096 elements keeps lines short; all of them are one transaction
            if (inLine == 0) {
                s.append(verb).append(" element ").append(t).append(" slots { ");
            } else {
                s.append(", ");
            }
            s.append(slot);
            if (verb.equals("add")) {
                s.append(" : ").append(element(target));
            }
            if (++inLine == 4096) {
                s.append(" }\n");
                inLine = 0;
            }
        }
        if (inLine > 0) {
            s.append(" }\n");
        }
    }

    /** {@code ADDR . PORT}, as the map data and the counter map key. */
    static String element(SlotTable.Target target) {
        return literal(target.address()) + " . " + target.port();
    }

    static String literal(InetAddress a) {
        String h = a.getHostAddress();
        int pct = h.indexOf('%');
        return a instanceof Inet6Address && pct >= 0 ? h.substring(0, pct) : h;
    }

    /** The packet counter of one member target: {@code m_} + address bytes in hex + {@code _} + port. */
    static String counterName(SlotTable.Target target) {
        return "m_" + HexFormat.of().formatHex(target.address().getAddress()) + "_" + target.port();
    }

    /** The new-flow counter of one member target: {@code f_} + address bytes in hex + {@code _} + port. */
    static String flowCounterName(SlotTable.Target target) {
        return "f_" + HexFormat.of().formatHex(target.address().getAddress()) + "_" + target.port();
    }
}
