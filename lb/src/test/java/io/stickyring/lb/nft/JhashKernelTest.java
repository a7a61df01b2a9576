package io.stickyring.lb.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Jhash against the running kernel: in a bare namespace, an output rule stores
 * {@code jhash ip saddr mod 65537 seed S} (and the ip6 form) in each flow's conntrack mark; 10,000
 * UDP packets with random source addresses (raw socket) make 10,000 flows, and every mark must
 * equal {@link Jhash#slot}. Covers the 4-byte tail path (IPv4) and the 12-byte block loop (IPv6).
 */
@Timeout(60)
class JhashKernelTest {

    private static final int N = 10_000;
    private static final int M = 65_537;
    private static final String SEND = String.join("\n",
            "import socket, struct, sys",
            "v6 = sys.argv[1] == '6'; dst = sys.argv[2]",
            "fam = socket.AF_INET6 if v6 else socket.AF_INET",
            "s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)",
            "d = socket.inet_pton(fam, dst)",
            "for line in sys.stdin:",
            "    src = socket.inet_pton(fam, line.strip()); udp = struct.pack('!HHHH', 40000, 9999, 8, 0)",
            "    if v6: ip = struct.pack('!IHBB16s16s', 6 << 28, 8, 17, 64, src, d)",
            "    else: ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 28, 0, 0, 64, 17, 0, src, d)",
            "    s.sendto(ip + udp, (dst, 0))",
            "print('sent', flush=True)");

    private String ns;

    @AfterEach
    void cleanup() throws Exception {
        if (ns != null) {
            run(null, "ip", "netns", "del", ns);
        }
    }

    @Test
    void kernelAndJavaPickTheSameSlotForTenThousandAddressesOfEachFamily() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (a network namespace)");
        ns = "srjh-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0x100000));
        assertThat(run(null, "ip", "netns", "add", ns)).isZero();
        int seed = new Random().nextInt();
        String script = String.join("\n",
                "link set lo up", "link add v0 type veth peer name v1", "link set v0 up", "link set v1 up",
                "addr add 10.50.0.1/24 dev v0", "addr add fd00:50::1/64 dev v0 nodad",
                // static neighbours: packets leave at once instead of queueing (and blocking the sender) on ARP/ND
                "neigh add 10.50.0.9 lladdr 02:00:00:00:00:09 dev v0 nud permanent",
                "neigh add fd00:50::9 lladdr 02:00:00:00:00:09 dev v0 nud permanent", "");
        assertThat(run(script, "ip", "-n", ns, "-batch", "-")).isZero();
        String rules = "table inet jh {\n chain out { type filter hook output priority 0; policy accept;\n"
                + "  ip daddr 10.50.0.9 udp dport 9999 ct mark set jhash ip saddr mod " + M + " seed 0x" + String.format("%08x", seed) + "\n"
                + "  ip6 daddr fd00:50::9 udp dport 9999 ct mark set jhash ip6 saddr mod " + M + " seed 0x" + String.format("%08x", seed) + "\n"
                + " }\n}\n";
        assertThat(run(rules, "ip", "netns", "exec", ns, "nft", "-f", "-")).isZero();
        Random rnd = new Random(seed);
        Set<String> v4set = new LinkedHashSet<>();
        Set<String> v6set = new LinkedHashSet<>();
        while (v4set.size() < N || v6set.size() < N) {
            byte[] a = new byte[4];
            rnd.nextBytes(a);
            a[0] = (byte) (1 + (a[0] & 0x7f) % 126); // no 0/8, 127/8 or multicast sources
            if (v4set.size() < N) {
                v4set.add(InetAddress.getByAddress(a).getHostAddress());
            }
            byte[] b = new byte[16];
            rnd.nextBytes(b);
            b[0] = (byte) 0xfd;
            if (v6set.size() < N) {
                v6set.add(InetAddress.getByAddress(b).getHostAddress());
            }
        }
        List<String> v4 = new ArrayList<>(v4set);
        List<String> v6 = new ArrayList<>(v6set);
        assertThat(run(String.join("\n", v4) + "\n", "ip", "netns", "exec", ns, "python3", "-c", SEND, "4", "10.50.0.9")).isZero();
        assertThat(run(String.join("\n", v6) + "\n", "ip", "netns", "exec", ns, "python3", "-c", SEND, "6", "fd00:50::9")).isZero();
        for (String fam : List.of("ipv4", "ipv6")) {
            Map<String, Integer> marks = marks(fam);
            List<String> sent = fam.equals("ipv4") ? v4 : v6;
            assertThat(marks.size()).as("%s flows", fam).isEqualTo(N);
            int agree = 0;
            for (String src : sent) {
                InetAddress a = InetAddress.getByName(src);
                Integer kernel = marks.get(a.getHostAddress());
                assertThat(kernel).as("kernel slot of %s", src).isNotNull();
                assertThat(Jhash.slot(a, seed, M)).as("slot of %s", src).isEqualTo(kernel);
                agree++;
            }
            assertThat(agree).isEqualTo(N);
        }
    }

    private Map<String, Integer> marks(String family) throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", ns, "conntrack", "-L", "-f", family, "-p", "udp")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        p.waitFor(30, TimeUnit.SECONDS);
        Map<String, Integer> m = new HashMap<>();
        for (String line : out.split("\n")) {
            int s = line.indexOf("src=");
            int mk = line.indexOf("mark=");
            if (s >= 0 && mk >= 0) {
                String src = line.substring(s + 4, line.indexOf(' ', s));
                m.put(InetAddress.getByName(src).getHostAddress(),
                        Integer.parseInt(line.substring(mk + 5, line.indexOf(' ', mk))));
            }
        }
        return m;
    }

    private static int run(String stdin, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.US_ASCII));
            }
        }
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
