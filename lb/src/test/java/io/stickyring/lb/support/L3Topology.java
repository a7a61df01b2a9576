package io.stickyring.lb.support;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The L3 test topology, built fresh per test in network namespaces this test owns:
 * <pre>
 *  host ns (the test JVM = clients)      LB ns (stickyring lb --dataplane nft)      backend ns
 *  10.214.N.1, client IPs 10.214.N.10+ -- 10.214.N.2 (admin)  10.217.N.1 ------------ b1..b4 = 10.217.N.11..14:7000
 *  route VIP 10.216.N.1 via 10.214.N.2     ip_forward=1, nft table, conntrack          default via 10.217.N.1
 *                                          10.218.N.1 --------- spoof ns 10.218.N.2 (raw SYNs from 10.219.0.0/16)
 * </pre>
 * Each backend is a Python echo server that first sends {@code ID CLIENT_IP:PORT}, so a test sees
 * which member answered and which client address it saw.
 *
 * <p>Invariant: {@link #close()} kills every process started here and deletes the three namespaces
 * (with their veth pairs, nft table and conntrack entries) and the host end of the client link,
 * whatever state setup reached. Construction skips the test (JUnit assumption, with the reason) only
 * when not root; as root a missing nft, conntrack, ip or python3 fails it, naming the package.
 */
public final class L3Topology implements AutoCloseable {

    private static final String BACKEND = String.join("\n",
            "import socket, sys, threading",
            "ident = sys.argv[1].encode()",
            "def serve(c, a):",
            "    try:",
            "        c.sendall(ident + b' ' + ('%s:%d' % (a[0], a[1])).encode() + b'\\n')",
            "        while True:",
            "            d = c.recv(65536)",
            "            if not d: break",
            "            c.sendall(d)",
            "    except OSError: pass",
            "    c.close()",
            "s = socket.socket(socket.AF_INET6 if ':' in sys.argv[2] else socket.AF_INET)",
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind((sys.argv[2], int(sys.argv[3]))); s.listen(4096)",
            "print('ready', flush=True)",
            "while True:",
            "    c, a = s.accept(); threading.Thread(target=serve, args=(c, a), daemon=True).start()");

    /** Sends one TCP SYN per source address read from stdin (raw socket, so the sources can be anything). */
    private static final String SPOOF = String.join("\n",
            "import socket, struct, sys",
            "def csum(b):",
            "    if len(b) % 2: b += b'\\0'",
            "    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16",
            "    return (~s) & 0xffff",
            "dst = socket.inet_aton(sys.argv[1]); port = int(sys.argv[2])",
            "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)",
            "n = 0",
            "for line in sys.stdin:",
            "    src = socket.inet_aton(line.strip())",
            "    tcp = struct.pack('!HHLLBBHHH', 40000, port, 1, 0, 5 << 4, 0x02, 65535, 0, 0)",
            "    c = csum(src + dst + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)",
            "    tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]",
            "    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, src, dst)",
            "    s.sendto(ip + tcp, (sys.argv[1], 0)); n += 1",
            "print('sent', n, flush=True)");

    /**
     * Clients on the LB host itself: from each source address given, connect to the VIP, read the
     * backend's greeting, send one line and read its echo; prints {@code SOURCE GREETING | ECHO}.
     */
    private static final String LOCAL_CLIENTS = String.join("\n",
            "import socket, sys",
            "for src in sys.argv[3:]:",
            "    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5, source_address=(src, 0))",
            "    f = s.makefile('rb')",
            "    first = f.readline().decode().strip()",
            "    s.sendall(('local ' + src + '\\n').encode())",
            "    echo = f.readline().decode().strip()",
            "    print(src, first, '|', echo, flush=True)",
            "    s.close()");

    public static final int BACKEND_PORT = 7000;
    public static final int VIP_PORT = 80;
    public static final String TOKEN = "l3-test-token";

    public final int n;
    public final String tag;
    public final String lbNs;
    public final String beNs;
    public final String spoofNs;
    private final String hostIf;
    private final List<Process> processes = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Process> backends = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private int clientCount;

    public L3Topology(int clients) throws Exception {
        if (clients < 0 || clients > 240) {
            throw new IllegalArgumentException("clients (" + clients + ") must be in 0..240");
        }
        assumeTrue("root".equals(System.getProperty("user.name")), "L3 (nft) tests need root: they build network namespaces");
        // as root (CI) a missing tool is a failure, not a skip: scripts/test-packages.txt lists them
        for (String tool : List.of("ip:iproute2", "nft:nftables", "conntrack:conntrack", "python3:python3")) {
            String cmd = tool.substring(0, tool.indexOf(':'));
            if (run("sh", "-c", "command -v " + cmd) != 0) {
                throw new IllegalStateException("L3 (nft) tests need '" + cmd + "' on PATH: install the Debian package "
                        + tool.substring(tool.indexOf(':') + 1) + " (scripts/test-packages.txt; scripts/ensure-debs.sh)");
            }
        }
        n = ThreadLocalRandom.current().nextInt(1, 250);
        tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
        lbNs = "srl3-lb-" + tag;
        beNs = "srl3-be-" + tag;
        spoofNs = "srl3-sp-" + tag;
        hostIf = "srl3h" + tag;
        boolean ok = false;
        try {
            StringBuilder b = new StringBuilder();
            for (String ns : List.of(lbNs, beNs, spoofNs)) {
                check("ip", "netns", "add", ns);
                check("ip", "-n", ns, "link", "set", "lo", "up");
            }
            check("ip", "netns", "exec", lbNs, "sysctl", "-qw", "net.ipv4.ip_forward=1");
            // host <-> LB: the clients
            veth(hostIf, null, "srl3l" + tag, lbNs);
            b.append("addr add 10.214.").append(n).append(".1/24 dev ").append(hostIf).append('\n');
            for (int i = 0; i < clients; i++) {
                b.append("addr add ").append(clientIp(i)).append("/32 dev ").append(hostIf).append('\n');
            }
            b.append("link set ").append(hostIf).append(" up\n");
            b.append("route add ").append(vip()).append("/32 via ").append(lbAddress()).append('\n');
            // IPv6 on the same links (nodad: usable at once)
            b.append("addr add fd00:214:").append(n).append("::1/64 dev ").append(hostIf).append(" nodad\n");
            for (int i = 0; i < clients; i++) {
                b.append("addr add ").append(clientIp6(i)).append("/128 dev ").append(hostIf).append(" nodad\n");
            }
            b.append("route add ").append(vip6()).append("/128 via ").append(lbAddress6()).append('\n');
            batch(null, b.toString());
            clientCount = clients;
            batch(lbNs, "addr add " + lbAddress() + "/24 dev srl3l" + tag + "\nlink set srl3l" + tag + " up\n"
                    + "addr add " + lbAddress6() + "/64 dev srl3l" + tag + " nodad\n");
            check("ip", "netns", "exec", lbNs, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
            // LB <-> backends
            veth("srl3a" + tag, lbNs, "srl3b" + tag, beNs);
            batch(lbNs, "addr add 10.217." + n + ".1/24 dev srl3a" + tag + "\nlink set srl3a" + tag + " up\n"
                    + "addr add fd00:217:" + n + "::1/64 dev srl3a" + tag + " nodad\n");
            StringBuilder be = new StringBuilder();
            for (int i = 1; i <= 4; i++) {
                be.append("addr add ").append(backendIp(i)).append("/24 dev srl3b").append(tag).append('\n');
            }
            for (int i = 1; i <= 4; i++) {
                be.append("addr add ").append(backendIp6(i)).append("/64 dev srl3b").append(tag).append(" nodad\n");
            }
            be.append("link set srl3b").append(tag).append(" up\nroute add default via 10.217.").append(n).append(".1\n");
            be.append("route add default via fd00:217:").append(n).append("::1\n");
            batch(beNs, be.toString());
            // LB <-> spoofing client
            veth("srl3c" + tag, lbNs, "srl3d" + tag, spoofNs);
            batch(lbNs, "addr add 10.218." + n + ".1/24 dev srl3c" + tag + "\nlink set srl3c" + tag + " up\n"
                    + "route add 10.219.0.0/16 via 10.218." + n + ".2\n");
            batch(spoofNs, "addr add 10.218." + n + ".2/24 dev srl3d" + tag + "\nlink set srl3d" + tag + " up\n"
                    + "route add default via 10.218." + n + ".1\n");
            for (int i = 1; i <= 4; i++) {
                startBackend(i);
            }
            ok = true;
        } finally {
            if (!ok) {
                close();
            }
        }
    }

    public String vip() {
        return "10.216." + n + ".1";
    }

    public String vip6() {
        return "fd00:216:" + n + "::1";
    }

    public String lbAddress6() {
        return "fd00:214:" + n + "::2";
    }

    public String backendIp6(int i) {
        return "fd00:217:" + n + "::" + (10 + i);
    }

    public String clientIp6(int i) {
        return "fd00:214:" + n + "::" + Integer.toHexString(0x100 + i);
    }

    /** Starts an IPv6 backend b{i}6 on {@link #backendIp6}, same port. */
    public void startBackend6(int i) throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", beNs, "python3", "-c", BACKEND, "b" + i, backendIp6(i),
                String.valueOf(BACKEND_PORT)).redirectErrorStream(true).start();
        processes.add(p);
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (!"ready".equals(line)) {
            throw new IOException("backend b" + i + " (IPv6) did not start: " + line);
        }
    }

    public InetSocketAddress vipAddress() {
        return new InetSocketAddress(vip(), VIP_PORT);
    }

    public String lbAddress() {
        return "10.214." + n + ".2";
    }

    public String hostAddress() {
        return "10.214." + n + ".1";
    }

    public String backendIp(int i) {
        return "10.217." + n + "." + (10 + i);
    }

    /** The i-th client source address on the host end (i in 0..clients-1, at most 240). */
    public String clientIp(int i) {
        return "10.214." + n + "." + (10 + i);
    }

    public String table() {
        return "srt_" + tag;
    }

    /** {@code --backend} values for b1..bK. */
    public List<String> backendArgs(int k) {
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= k; i++) {
            out.add("--backend=b" + i + "=" + backendIp(i) + ":" + BACKEND_PORT);
        }
        return out;
    }

    public void startBackend(int i) throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", beNs, "python3", "-c", BACKEND, "b" + i, backendIp(i),
                String.valueOf(BACKEND_PORT)).redirectErrorStream(true).start();
        processes.add(p);
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (!"ready".equals(line)) {
            throw new IOException("backend b" + i + " did not start: " + line);
        }
        backends.put("b" + i, p);
    }

    /**
     * Makes backend {@code i} silently unreachable (every packet to or from its address dropped in the
     * backend namespace): its process lives on, so nothing but the LB's health checks and conntrack
     * deletion can end its clients' flows.
     */
    public void isolateBackend(int i) throws Exception {
        nft(beNs, "add table ip iso\nadd chain ip iso in { type filter hook input priority 0; }\n"
                + "add chain ip iso out { type filter hook output priority 0; }\n"
                + "add rule ip iso in ip daddr " + backendIp(i) + " drop\nadd rule ip iso out ip saddr " + backendIp(i) + " drop\n");
    }

    /**
     * Takes away the backends' return route through the LB (their default route): replies to client
     * addresses then have nowhere to go, as in a topology where the LB is not the backends' gateway.
     * Only the LB's own address on the backend link ({@link #lbBackendAddress()}) stays reachable.
     */
    public void removeBackendReturnRoute() throws Exception {
        check("ip", "-n", beNs, "route", "del", "default");
    }

    /** The LB's address on the backend link (the source the backends see with --nft-snat). */
    public String lbBackendAddress() {
        return "10.217." + n + ".1";
    }

    /** As {@link #isolateBackend} for the IPv6 address of backend {@code i}. */
    public void isolateBackend6(int i) throws Exception {
        nft(beNs, "add table ip6 iso6\nadd chain ip6 iso6 in { type filter hook input priority 0; }\n"
                + "add chain ip6 iso6 out { type filter hook output priority 0; }\n"
                + "add rule ip6 iso6 in ip6 daddr " + backendIp6(i) + " drop\nadd rule ip6 iso6 out ip6 saddr " + backendIp6(i) + " drop\n");
    }

    /** A running {@code stickyring lb} in the LB namespace. */
    public final class Lb implements AutoCloseable {
        public final Process process;
        public final List<String> output = Collections.synchronizedList(new ArrayList<>());
        public final int adminPort;

        Lb(Process process, int adminPort) {
            this.process = process;
            this.adminPort = adminPort;
        }

        public String get(String path) throws Exception {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + lbAddress() + ":" + adminPort + path))
                    .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.body();
        }

        public String post(String path) throws Exception {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + lbAddress() + ":" + adminPort + path))
                    .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody())
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " " + r.body();
        }

        /** SIGKILL: the process dies at once, the kernel table stays. */
        public void kill9() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            kill9();
        }
    }

    /**
     * Starts {@code stickyring lb --dataplane nft} in the LB namespace with fast health checks and
     * waits until it serves /readyz.
     */
    public Lb startLb(List<String> extra) throws Exception {
        return startLb(vip() + ":" + VIP_PORT, table(), extra);
    }

    /** As {@link #startLb(List)} with another VIP (e.g. {@code [fd00:...]:80}) and table. */
    public Lb startLb(String listen, String table, List<String> extra) throws Exception {
        int adminPort = 9000 + ThreadLocalRandom.current().nextInt(900);
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", lbNs,
                ProcessHandle.current().info().command().orElse("java"), "-cp", System.getProperty("java.class.path"),
                "-XX:TieredStopAtLevel=1", "-Xshare:auto", LbMain.class.getName(), "--dataplane=nft",
                "--listen=" + listen, "--admin=" + lbAddress() + ":" + adminPort,
                "--admin-token=" + TOKEN, "--nft-table=" + table, "--health-interval=200ms",
                "--health-timeout=200ms", "--health-fall=2", "--health-rise=1"));
        cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        processes.add(p);
        Lb lb = new Lb(p, adminPort);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lb.output.add(line);
                }
            } catch (IOException e) {
                // the process died; its output so far is kept
            }
        }, "l3-lb-output");
        reader.setDaemon(true);
        reader.start();
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .failFast("lb exited", () -> !p.isAlive())
                    .until(() -> {
                        try {
                            return lb.get("/readyz").contains("\"ready\" : true");
                        } catch (IOException e) {
                            return false; // not listening yet
                        }
                    });
        } catch (org.awaitility.core.ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
            throw new IOException((p.isAlive() ? "lb not ready in 60s: " : "lb exited " + p.exitValue() + ": ")
                    + String.join("\n", lb.output), e);
        }
        return lb;
    }

    /** The i-th address of a client on the LB host itself ({@link #addLocalClients}), in 10.215.N.0/24. */
    public String localClientIp(int i) {
        return "10.215." + n + "." + (10 + i);
    }

    /**
     * Gives the LB namespace {@code count} more addresses of its own (on {@code lo}) for clients
     * running there, and a route to the VIP (out of the backend link: the output hook's DNAT then
     * re-routes each flow to its member). The backends reply through the LB (their default route).
     */
    public void addLocalClients(int count) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < count; i++) {
            b.append("addr add ").append(localClientIp(i)).append("/32 dev lo\n");
        }
        b.append("route add ").append(vip()).append("/32 dev srl3a").append(tag).append('\n');
        batch(lbNs, b.toString());
    }

    /**
     * Connects to the VIP from each address (inside the LB namespace: locally generated traffic, the
     * nat output hook) and exchanges one line; source -> {greeting ("ID CLIENT_IP:PORT"), echo}.
     */
    public Map<String, String[]> localConnections(List<String> sources) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", lbNs, "python3", "-c", LOCAL_CLIENTS, vip(),
                String.valueOf(VIP_PORT)));
        cmd.addAll(sources);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        processes.add(p);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("local clients in " + lbNs + " failed: " + out);
        }
        Map<String, String[]> res = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            String[] halves = line.split(" \\| ", 2);
            String[] head = halves[0].split(" ", 2);
            if (halves.length == 2 && head.length == 2) {
                res.put(head[0], new String[] {head[1], halves[1]});
            }
        }
        return res;
    }

    /** Sends a SYN from each source address (in 10.219.0.0/16) to the VIP from the spoofing namespace. */
    public void spoofSyns(List<String> sources) throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", spoofNs, "python3", "-c", SPOOF, vip(),
                String.valueOf(VIP_PORT)).redirectErrorStream(true).start();
        processes.add(p);
        try (OutputStream in = p.getOutputStream()) {
            in.write((String.join("\n", sources) + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (line == null || !line.startsWith("sent")) {
            throw new IOException("spoofing client failed: " + line);
        }
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** {@code conntrack -L} in the LB namespace for the VIP: original source -> reply source (the member). */
    public Map<String, String> trackedFlows() throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", lbNs, "conntrack", "-L", "-p", "tcp", "--orig-dst", vip())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Map<String, String> out = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            for (String line; (line = r.readLine()) != null; ) {
                String[] srcs = line.split("src=");
                if (srcs.length >= 3) {
                    out.put(srcs[1].split(" ")[0], srcs[2].split(" ")[0]);
                }
            }
        }
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    /** Output of an nft command in the LB namespace. */
    public String nftIn(String ns, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "nft"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    private void nft(String ns, String script) throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", ns, "nft", "-f", "-").redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(script.getBytes(StandardCharsets.US_ASCII));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("nft in " + ns + " failed: " + out);
        }
    }

    private void veth(String a, String aNs, String b, String bNs) throws Exception {
        check("ip", "link", "add", a, "type", "veth", "peer", "name", b);
        if (aNs != null) {
            check("ip", "link", "set", a, "netns", aNs);
        }
        check("ip", "link", "set", b, "netns", bNs);
    }

    private static void batch(String ns, String commands) throws Exception {
        List<String> cmd = ns == null ? List.of("ip", "-batch", "-") : List.of("ip", "-n", ns, "-batch", "-");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(commands.getBytes(StandardCharsets.US_ASCII));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("ip -batch in " + ns + " failed: " + out);
        }
    }

    @Override
    public void close() {
        for (Process p : List.copyOf(processes)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        List<String> failed = new ArrayList<>();
        for (String ns : List.of(lbNs, beNs, spoofNs)) {
            if (run("ip", "netns", "del", ns) != 0 && run("ip", "netns", "list") == 0 && exists(ns)) {
                failed.add(ns);
            }
        }
        run("ip", "link", "del", hostIf); // gone with the LB namespace already, unless setup stopped early
        if (!failed.isEmpty()) {
            throw new IllegalStateException("cleanup of network namespaces " + failed + " failed");
        }
    }

    private static boolean exists(String ns) {
        try {
            Process p = new ProcessBuilder("ip", "netns", "list").start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return out.contains(ns);
        } catch (Exception e) {
            return true;
        }
    }

    private static void check(String... cmd) throws Exception {
        if (run(cmd) != 0) {
            throw new IOException("failed: " + String.join(" ", cmd));
        }
    }

    private static int run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }
}
