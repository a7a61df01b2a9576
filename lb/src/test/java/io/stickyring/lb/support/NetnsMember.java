package io.stickyring.lb.support;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stickyring.membership.Member;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A member process inside a network namespace this test creates, reached over a veth pair with
 * private 10.213.x.0/30 addresses that exist only on that pair. {@link #blackhole()} makes the
 * member silently vanish (everything it sends is dropped), which loopback can never do.
 *
 * <p>Invariant: {@link #close()} removes the namespace (which destroys the veth pair) and the member
 * process whatever state setup reached; construction skips the test (JUnit assumption, with the
 * reason) when not root, when {@code ip} or {@code python3} is missing, or when the kernel refuses
 * network namespaces.
 */
public final class NetnsMember implements AutoCloseable {

    /** The member: a one-file Python echo server that first sends its id line, like {@link EchoBackend}. */
    private static final String MEMBER = String.join("\n",
            "import socket, sys, threading",
            "def serve(c):",
            "    c.sendall(b'dead-peer\\n')",
            "    while True:",
            "        d = c.recv(65536)",
            "        if not d: break",
            "        c.sendall(d)",
            "    c.close()",
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(64)",
            "print('ready', flush=True)",
            "while True:",
            "    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()");

    public static final int PORT = 7000; // inside the namespace: nothing else listens there
    private final String ns;
    private final String hostIf;
    private final String nsIf;
    private final String hostIp;
    private final String memberIp;
    private Process member;

    public NetnsMember() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "dead-peer test needs root (network namespaces)");
        for (String tool : List.of("ip", "python3")) {
            assumeTrue(onPath(tool), "dead-peer test needs '" + tool + "' on PATH");
        }
        int n = ThreadLocalRandom.current().nextInt(1, 60);
        int tag = ThreadLocalRandom.current().nextInt(0x10000);
        ns = "srlb-dp-" + Integer.toHexString(tag);
        hostIf = "srdpa" + Integer.toHexString(tag);
        nsIf = "srdpb" + Integer.toHexString(tag);
        hostIp = "10.213." + n + "." + (1 + 4 * (tag % 60));
        memberIp = "10.213." + n + "." + (2 + 4 * (tag % 60));
        boolean ok = false;
        try {
            assumeTrue(run("ip", "netns", "add", ns) == 0, "cannot create a network namespace here");
            check("ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
            check("ip", "link", "set", nsIf, "netns", ns);
            check("ip", "addr", "add", hostIp + "/30", "dev", hostIf);
            check("ip", "link", "set", hostIf, "up");
            check("ip", "netns", "exec", ns, "ip", "addr", "add", memberIp + "/30", "dev", nsIf);
            check("ip", "netns", "exec", ns, "ip", "link", "set", nsIf, "up");
            check("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
            member = new ProcessBuilder("ip", "netns", "exec", ns, "python3", "-c", MEMBER, memberIp, String.valueOf(PORT))
                    .redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(member.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine(); // blocks until the member is listening (or dies)
            if (!"ready".equals(line)) {
                throw new IOException("member in " + ns + " did not start: " + line);
            }
            ok = true;
        } finally {
            if (!ok) {
                close();
            }
        }
    }

    public Member member() {
        return Member.of("dead-peer", memberIp, PORT);
    }

    /**
     * From now on every packet the member sends is silently dropped: it is alive but unreachable, and
     * the LB gets neither a FIN, a reset nor an ICMP error. Done with a blackhole route to the host end
     * inside the namespace (core routing, no netem or iptables needed).
     */
    public void blackhole() throws Exception {
        check("ip", "netns", "exec", ns, "ip", "route", "add", "blackhole", hostIp + "/32");
    }

    @Override
    public void close() {
        if (member != null) {
            member.descendants().forEach(ProcessHandle::destroyForcibly);
            member.destroyForcibly();
        }
        try {
            run("ip", "netns", "del", ns); // destroys the veth pair with it
            run("ip", "link", "del", hostIf); // in case the peer never moved into the namespace
        } catch (Exception e) {
            throw new IllegalStateException("cleanup of network namespace " + ns + " failed", e);
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(File.pathSeparator)) {
            if (new File(dir, tool).canExecute()) {
                return true;
            }
        }
        return false;
    }

    private static void check(String... cmd) throws Exception {
        if (run(cmd) != 0) {
            throw new IOException("failed: " + String.join(" ", cmd));
        }
    }

    private static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(cmd))).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", cmd));
        }
        return p.exitValue();
    }
}
