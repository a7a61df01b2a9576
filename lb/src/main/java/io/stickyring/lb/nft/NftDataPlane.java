package io.stickyring.lb.nft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.stickyring.lb.route.KeyFunction;
import io.stickyring.lb.route.MemberRuntime;
import io.stickyring.lb.route.RoutingTable;
import io.stickyring.membership.Member;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel data plane of {@code stickyring lb --dataplane nft}: an nftables table whose NAT rule
 * sends each new flow to {@code slots[jhash(client address) mod M]}, kept equal to the
 * {@link SlotTable} of the router's current {@link RoutingTable}, and conntrack, which keeps every
 * established flow on the member it started on.
 *
 * <p>Invariants: (1) the table is created or adopted, never deleted (only {@link #remove} deletes
 * it, for the explicit {@code --nft-remove} command): a restart reads the seed back and applies only
 * differences, so no established flow is disturbed; (2) a routing change is one {@code nft -f}
 * transaction that deletes and re-adds exactly the slots whose member changed; (3) only after that
 * transaction, the flows of members that left the view or are marked down are deleted from conntrack
 * (their clients' next packet is a new flow to the slot's new member, which resets it); a DRAINING
 * member keeps its flows, other members' flows are never touched; (4) all kernel work runs on one
 * thread, and routing changes coalesce (the latest table wins).
 */
public final class NftDataPlane implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NftDataPlane.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    /** Wait before retrying a table the kernel refused. */
    static final Duration RETRY_DELAY = Duration.ofSeconds(1);
    /**
     * The per-member numbers are read from the kernel only when {@code /metrics} is scraped, and at
     * most once per this interval: a scrape finding them older starts a read and gets the previous
     * values (one scrape stale).
     */
    static final Duration POLL_INTERVAL = Duration.ofSeconds(2);
    /**
     * Bounds the conntrack listing's cost, which grows with the flows: after a read that took d, the
     * next waits at least {@code POLL_COST_FACTOR * d}, so reads take at most 1/20 of the wall-clock
     * time however large the table (docs/lb.md, "Per-member counters").
     */
    static final int POLL_COST_FACTOR = 20;

    private final NftConfig config;
    private final List<String> prefix;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lb-nft");
        t.setDaemon(true);
        return t;
    });
    private final AtomicReference<RoutingTable> pending = new AtomicReference<>();
    private volatile int seed;
    /** What the kernel holds (worker thread only). */
    private SlotTable installed;
    /** Targets whose flows are live: members in the view and up, plus adopted ones (worker thread only). */
    private Set<SlotTable.Target> live = new HashSet<>();
    private volatile Map<SlotTable.Target, String> names = Map.of();
    private volatile Map<String, long[]> perMember = Map.of();
    private volatile Map<String, Integer> slotCounts = Map.of();
    /** Targets whose counters exist in the stats table (worker thread only; it is recreated at start). */
    private final Set<SlotTable.Target> counted = new HashSet<>();
    private final AtomicBoolean polling = new AtomicBoolean();
    private volatile long nextPollNanos = System.nanoTime();
    private volatile double lastPollSeconds;
    private final java.util.concurrent.atomic.AtomicLong polls = new java.util.concurrent.atomic.AtomicLong();
    private final Counter applyFailures = Counter.builder().name("stickyring_lb_nft_apply_failures_total")
            .help("nft transactions the kernel refused (the previous table stays in force)").build();
    private final Counter applies = Counter.builder().name("stickyring_lb_nft_applies_total")
            .help("nft transactions applied (one per routing change that moved slots)").build();

    private NftDataPlane(NftConfig config, List<String> prefix) {
        this.config = config;
        this.prefix = List.copyOf(prefix);
    }

    /**
     * Registers the per-member kernel metrics (new flows, tracked flows, slots, and with
     * {@code --nft-counters=packets} packets and bytes) in the LB's registry. Reading them is what
     * starts a (rate-limited) read from the kernel.
     */
    public void bindMetrics(PrometheusRegistry registry) {
        registry.register(applyFailures);
        registry.register(applies);
        boolean packets = config.counters() == NftConfig.Counters.PACKETS;
        memberCounter(registry, "stickyring_lb_nft_member_new_flows",
                "Flows the kernel sent to each member since the LB started, counted once per flow on its first packet", 3,
                config.counters() != NftConfig.Counters.OFF);
        memberCounter(registry, "stickyring_lb_nft_member_packets",
                "Packets of the VIP's forwarded flows per member, both directions (only with --nft-counters=packets)", 0, packets);
        memberCounter(registry, "stickyring_lb_nft_member_bytes",
                "Bytes of the VIP's forwarded flows per member, both directions (only with --nft-counters=packets)", 1, packets);
        GaugeWithCallback.builder().name("stickyring_lb_nft_member_flows")
                .help("Flows conntrack tracks to the VIP per member (including TIME_WAIT)")
                .labelNames("member").callback(cb -> {
                    scraped();
                    perMember.forEach((m, v) -> cb.call(v[2], m));
                }).register(registry);
        GaugeWithCallback.builder().name("stickyring_lb_nft_flow_poll_seconds")
                .help("Wall time of the last read of the per-member numbers from the kernel (the conntrack listing grows with the flows)")
                .callback(cb -> cb.call(lastPollSeconds)).register(registry);
        GaugeWithCallback.builder().name("stickyring_lb_nft_member_slots")
                .help("Slots of the kernel's jhash table pointing at each member")
                .labelNames("member").callback(cb -> slotCounts.forEach((m, n) -> cb.call(n, m))).register(registry);
    }

    /** A per-member counter family showing {@code perMember[m][index]}; without samples unless {@code shown}. */
    private void memberCounter(PrometheusRegistry registry, String name, String help, int index, boolean shown) {
        CounterWithCallback.builder().name(name).help(help).labelNames("member").callback(cb -> {
            scraped();
            if (shown) {
                perMember.forEach((m, v) -> cb.call(v[index], m));
            }
        }).register(registry);
    }

    /** A scrape: starts a read from the kernel on the worker when the last one is old enough. */
    private void scraped() {
        if (System.nanoTime() - nextPollNanos >= 0 && polling.compareAndSet(false, true)) {
            try {
                worker.execute(this::poll);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                polling.set(false); // closed
            }
        }
    }

    /** Reads from the kernel so far (tests). */
    long polls() {
        return polls.get();
    }

    /** The wait before the next read after one that took {@code took}: at least {@link #POLL_INTERVAL}. */
    static Duration nextPollDelay(Duration took) {
        Duration bound = took.multipliedBy(POLL_COST_FACTOR);
        return bound.compareTo(POLL_INTERVAL) > 0 ? bound : POLL_INTERVAL;
    }

    /**
     * One line naming what this host lacks for nft mode (the tools, nf_tables, conntrack or
     * CAP_NET_ADMIN), or null when it has everything.
     */
    public static String unavailableReason() {
        try {
            Exec.Result nft = Exec.run(List.of("nft", "list", "tables"), null, COMMAND_TIMEOUT);
            if (!nft.ok()) {
                return "nft cannot read the ruleset (needs nf_tables and CAP_NET_ADMIN): " + nft.firstErrorLine();
            }
        } catch (IOException e) {
            return "the nft command is not available (install the nftables package): " + e.getMessage();
        }
        try {
            Exec.Result ct = Exec.run(List.of("conntrack", "-C"), null, COMMAND_TIMEOUT);
            if (!ct.ok()) {
                return "conntrack cannot read the connection table (needs nf_conntrack and CAP_NET_ADMIN): "
                        + ct.firstErrorLine();
            }
        } catch (IOException e) {
            return "the conntrack command is not available (install the conntrack package): " + e.getMessage();
        }
        return null;
    }

    /**
     * Creates the table, or adopts an existing one with its seed and slots unchanged. Throws with the
     * kernel's message when nft refuses.
     */
    public static NftDataPlane start(NftConfig config) throws IOException {
        return start(config, List.of());
    }

    /** As {@link #start(NftConfig)}, running every command behind {@code prefix} (tests: {@code ip netns exec NS}). */
    static NftDataPlane start(NftConfig config, List<String> prefix) throws IOException {
        NftDataPlane dp = new NftDataPlane(config, prefix);
        dp.adopt();
        return dp;
    }

    private void adopt() throws IOException {
        Integer existing = readSeed();
        seed = existing != null ? existing : nonZeroSeed();
        nft(prefix, NftScript.setup(config, seed));
        installed = readSlots();
        live = new HashSet<>(installed.targets());
        slotCounts = installed.counts();
        log.info("nft table {} {} {}: seed 0x{}, {} slots, {} of them filled", config.family(), config.table(),
                existing != null ? "adopted" : "created", String.format("%08x", seed), config.slots(),
                installed.counts().values().stream().mapToInt(Integer::intValue).sum());
    }

    private static int nonZeroSeed() {
        int s;
        do {
            s = new SecureRandom().nextInt();
        } while (s == 0);
        return s;
    }

    public NftConfig config() {
        return config;
    }

    /** The jhash seed in force (read back from the kernel on adoption). */
    public int seed() {
        return seed;
    }

    /**
     * Ring keys as the kernel sees clients: the synthetic key of the client's slot. Given to the admin
     * API so {@code /lookup?ip=} names the member the kernel picks.
     */
    public KeyFunction keyFunction() {
        return client -> SlotTable.slotKey(Jhash.slot(client.getAddress(), seed, config.slots()));
    }

    /** Queues {@code table} for the kernel; returns at once (the latest queued table wins). */
    public void publish(RoutingTable table) {
        if (pending.getAndSet(table) == null) {
            worker.execute(this::sync);
        }
    }

    /** Waits until everything queued so far has reached the kernel (or failed). */
    public void awaitIdle(Duration timeout) throws Exception {
        worker.submit(() -> { }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void sync() {
        RoutingTable t = pending.getAndSet(null);
        if (t == null) {
            return;
        }
        Map<String, SlotTable.Target> byId = new HashMap<>();
        Set<SlotTable.Target> nowLive = new LinkedHashSet<>();
        Map<SlotTable.Target, String> nowNames = new HashMap<>();
        SlotTable want;
        try {
            for (MemberRuntime rt : t.members()) {
                SlotTable.Target target = target(rt.member());
                byId.put(rt.id(), target);
                nowNames.put(target, rt.id());
                if (rt.up()) {
                    nowLive.add(target);
                }
            }
            want = SlotTable.fill(t.hash(), byId::get, config.slots());
        } catch (IllegalArgumentException e) {
            applyFailures.inc();
            log.error("cannot build the nft slot table, keeping the kernel's: {}", e.getMessage());
            return;
        }
        String diff = NftScript.diff(config, installed, want);
        Set<SlotTable.Target> uncounted = new LinkedHashSet<>(nowNames.keySet());
        uncounted.removeAll(counted);
        // the new members' counters first, in the same transaction as the slots that send them flows
        String script = NftScript.counters(config, uncounted) + diff;
        if (!script.isEmpty()) {
            try {
                long t0 = System.nanoTime();
                nft(prefix, script);
                counted.addAll(uncounted);
                if (!diff.isEmpty()) {
                    applies.inc();
                    log.info("nft: {} slots moved in one transaction ({} ms)", installed.changedSlots(want).length,
                            (System.nanoTime() - t0) / 1_000_000);
                }
                installed = want;
            } catch (IOException e) {
                applyFailures.inc();
                log.error("nft refused the slot update, re-reading the kernel's table and retrying in {} ms: {}",
                        RETRY_DELAY.toMillis(), e.getMessage());
                try {
                    installed = readSlots();
                } catch (IOException again) {
                    log.error("cannot read the slot table back: {}", again.getMessage());
                }
                // retry this table unless a newer one has been queued meanwhile
                worker.schedule(() -> {
                    if (pending.compareAndSet(null, t)) {
                        sync();
                    }
                }, RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS);
                return;
            }
        }
        names = Map.copyOf(nowNames);
        slotCounts = installed.counts().entrySet().stream().collect(java.util.stream.Collectors.toMap(
                e -> nowNames.getOrDefault(e.getKey(), e.getKey()), Map.Entry::getValue, Integer::sum));
        for (SlotTable.Target gone : live) {
            if (!nowLive.contains(gone)) {
                deleteFlows(gone);
            }
        }
        live = nowLive;
    }

    /** The member's DNAT target; its host must be (or resolve to) an address of the VIP's family. */
    private SlotTable.Target target(Member m) {
        InetAddress a;
        try {
            a = InetAddress.getByName(m.host());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("member '" + m.id() + "' host (" + m.host() + ") does not resolve");
        }
        if ((a instanceof Inet6Address) != config.ipv6()) {
            throw new IllegalArgumentException("member '" + m.id() + "' address (" + a.getHostAddress()
                    + ") is not of the VIP's family (" + config.family() + ")");
        }
        return new SlotTable.Target(m.id(), a, m.port());
    }

    /** Deletes the VIP's tracked flows whose reply comes from {@code t} (its clients then get a reset). */
    private void deleteFlows(SlotTable.Target t) {
        List<String> cmd = new ArrayList<>(List.of("conntrack", "-D", "-f", config.conntrackFamily(), "-p", "tcp",
                "--orig-dst", config.vip().getHostAddress(), "--dport", String.valueOf(config.port()),
                "--reply-src", NftScript.literal(t.address()), "--reply-port-src", String.valueOf(t.port())));
        try {
            Exec.Result r = exec(cmd, null, COMMAND_TIMEOUT);
            // exit 1 with "0 flow entries" just means there was nothing to delete
            log.info("conntrack: {} flows of {} deleted ({})", t.member().isEmpty() ? NftScript.element(t) : t.member(),
                    NftScript.element(t), r.firstErrorLine());
        } catch (IOException e) {
            log.error("conntrack delete for {} failed: {}", NftScript.element(t), e.getMessage());
        }
    }

    /**
     * Reads the stats table's counters ({@code nft -j list table}, small: not the slot map) and
     * counts the VIP's tracked flows per member in one conntrack listing, line by line. Its cost
     * grows with the flows (about 0.5 CPU s for 100,000: docs/lb.md), hence {@link #nextPollDelay}.
     */
    private void poll() {
        polls.incrementAndGet();
        long t0 = System.nanoTime();
        try {
            Map<String, long[]> out = new HashMap<>();
            Map<SlotTable.Target, String> n = names;
            Map<String, String> byCounter = new HashMap<>();
            n.forEach((t, id) -> {
                byCounter.put(NftScript.counterName(t), id);
                byCounter.put(NftScript.flowCounterName(t), id);
            });
            Exec.Result r = config.counters() == NftConfig.Counters.OFF ? null
                    : exec(List.of("nft", "-j", "list", "table", config.family(), config.statsTable()), null, COMMAND_TIMEOUT);
            if (r != null && r.ok()) {
                for (JsonNode e : JSON.readTree(r.out()).path("nftables")) {
                    JsonNode c = e.path("counter");
                    String name = c.path("name").asText();
                    String id = byCounter.get(name);
                    if (id == null) {
                        continue;
                    }
                    long[] v = out.computeIfAbsent(id, k -> new long[4]);
                    if (name.startsWith("f_")) {
                        v[3] = c.path("packets").asLong(); // one packet per flow: the nat chain sees only the first
                    } else {
                        v[0] = c.path("packets").asLong();
                        v[1] = c.path("bytes").asLong();
                    }
                }
            }
            Map<String, String> byReply = new HashMap<>();
            n.forEach((t, id) -> byReply.put(NftScript.literal(t.address()) + "|" + t.port(), id));
            List<String> cmd = new ArrayList<>(prefix);
            cmd.addAll(List.of("conntrack", "-L", "-f", config.conntrackFamily(), "-p", "tcp",
                    "--orig-dst", config.vip().getHostAddress(), "--dport", String.valueOf(config.port())));
            Map<String, String> canonical = new HashMap<>();
            Exec.lines(cmd, COMMAND_TIMEOUT, line -> {
                String key = replyKey(line, canonical);
                String id = key == null ? null : byReply.get(key);
                if (id != null) {
                    out.computeIfAbsent(id, k -> new long[4])[2]++;
                }
            });
            perMember = out;
        } catch (IOException | RuntimeException e) {
            log.warn("reading nft counters failed: {}", e.getMessage());
        } finally {
            long took = System.nanoTime() - t0;
            lastPollSeconds = took / 1e9;
            nextPollNanos = System.nanoTime() + nextPollDelay(Duration.ofNanos(took)).toNanos();
            polling.set(false);
        }
    }

    /**
     * {@code ADDRESS|PORT} of the reply source (the member) of one {@code conntrack -L} line: the
     * second {@code src=} and the {@code sport=} after it. Plain index scans, no regex: a listing
     * can have a million lines. {@code canonical} caches the normalized form of each address seen.
     */
    static String replyKey(String line, Map<String, String> canonical) {
        int first = line.indexOf(" src=");
        int reply = first < 0 ? -1 : line.indexOf(" src=", first + 5);
        if (reply < 0) {
            return null;
        }
        int end = line.indexOf(' ', reply + 5);
        int sport = end < 0 ? -1 : line.indexOf(" sport=", end);
        if (sport < 0) {
            return null;
        }
        int sportEnd = line.indexOf(' ', sport + 7);
        String addr = canonical.computeIfAbsent(line.substring(reply + 5, end), NftDataPlane::normalize);
        return addr + "|" + line.substring(sport + 7, sportEnd < 0 ? line.length() : sportEnd);
    }

    private static String normalize(String addr) {
        try {
            return NftScript.literal(InetAddress.getByName(addr));
        } catch (UnknownHostException e) {
            return addr;
        }
    }

    /** The jhash seed of an existing table's rule, or null when there is no such table or rule. */
    private Integer readSeed() throws IOException {
        Exec.Result r = exec(List.of("nft", "-j", "list", "chain", config.family(), config.table(), "prerouting"),
                null, COMMAND_TIMEOUT);
        if (!r.ok()) {
            return null;
        }
        JsonNode jhash = JSON.readTree(r.out()).findValue("jhash");
        return jhash == null || !jhash.has("seed") ? null : (int) jhash.get("seed").asLong();
    }

    /** The slots map as the kernel holds it (JSON: text listings of typeof-jhash maps crash nft 1.0.6). */
    SlotTable readSlots() throws IOException {
        Exec.Result r = exec(List.of("nft", "-j", "list", "map", config.family(), config.table(), "slots"),
                null, COMMAND_TIMEOUT);
        if (!r.ok()) {
            throw new IOException("nft list map " + config.table() + " slots: " + r.firstErrorLine());
        }
        SlotTable.Target[] slots = new SlotTable.Target[config.slots()];
        List<Integer> extra = new ArrayList<>();
        for (JsonNode e : JSON.readTree(r.out()).path("nftables")) {
            for (JsonNode el : e.path("map").path("elem")) {
                int slot = el.get(0).asInt();
                JsonNode concat = el.get(1).path("concat");
                SlotTable.Target t = new SlotTable.Target("", InetAddress.getByName(concat.get(0).asText()),
                        concat.get(1).asInt());
                if (slot < slots.length) {
                    slots[slot] = t;
                } else {
                    extra.add(slot);
                }
            }
        }
        if (!extra.isEmpty()) {
            // left by a run with more slots: never picked by the new rule, removed so the map matches
            StringBuilder s = new StringBuilder("delete element " + config.family() + " " + config.table() + " slots { ");
            for (int i = 0; i < extra.size(); i++) {
                s.append(i == 0 ? "" : ", ").append(extra.get(i));
            }
            nft(prefix, s.append(" }\n").toString());
        }
        return SlotTable.of(slots);
    }

    private Exec.Result exec(List<String> cmd, String stdin, Duration timeout) throws IOException {
        if (prefix.isEmpty()) {
            return Exec.run(cmd, stdin, timeout);
        }
        List<String> full = new ArrayList<>(prefix);
        full.addAll(cmd);
        return Exec.run(full, stdin, timeout);
    }

    private static void nft(List<String> prefix, String script) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of("nft", "-f", "-"));
        Exec.Result r = Exec.run(cmd, script, COMMAND_TIMEOUT);
        if (!r.ok()) {
            throw new IOException("nft -f failed: " + r.firstErrorLine());
        }
    }

    /** Deletes the table (every flow through it breaks): only for the explicit {@code --nft-remove}. */
    public static void remove(NftConfig config) throws IOException {
        String f = config.family();
        nft(List.of(), "delete table " + f + " " + config.table() + "\nadd table " + f + " " + config.statsTable()
                + "\ndelete table " + f + " " + config.statsTable() + "\n");
    }

    /** Stops the data plane thread; the kernel keeps forwarding with the table as it is (static stability). */
    @Override
    public void close() {
        worker.shutdownNow();
    }
}
