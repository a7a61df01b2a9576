package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * PROXY header forgery (docs/security.md, threat model): with {@code --accept-proxy-protocol} only
 * peers in {@code --trusted-proxies} may send a header; anyone else's is refused with a 400 naming
 * the peer, counted, and never trusted as the client address. Client addresses come from
 * 127.0.0.0/8 (the test binds the socket's local address).
 */
@Timeout(60)
class ProxyTrustTest {
    @TempDir
    Path dir;

    private static final String HEADER = "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n";

    /** Sends a PROXY v1 header and a request from {@code from}; returns everything the node answered. */
    private static String exchange(int port, String from, String request) throws Exception {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write((HEADER + request).getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            if (request.isEmpty()) {
                return readAll(s.getInputStream());
            }
            return RawWs.readHead(s.getInputStream());
        }
    }

    private static String readAll(InputStream in) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b); // until the node closes; the socket timeout bounds it
        return b.toString(StandardCharsets.US_ASCII);
    }

    private static double refused(ChatNode node) {
        String m = new String(node.metrics().scrape(), StandardCharsets.UTF_8);
        for (String line : m.split("\n")) {
            if (line.startsWith("stickyring_chat_closes_total{reason=\"untrusted_proxy_header\"}")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no untrusted_proxy_header counter in\n" + m);
    }

    @Test
    void aProxyHeaderFromAnUntrustedPeerIsRefusedCountedAndNeverTrusted() throws Exception {
        try (ChatNode node = TestNodes.start(dir, "n1", b -> {
            b.acceptProxyProtocol = true;
            b.trustedProxies = TrustedProxies.parse("127.0.0.2/32");
        })) {
            int port = node.address().getPort();
            // The trusted LB (127.0.0.2): its header is accepted and the request served.
            assertThat(exchange(port, "127.0.0.2", "GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200");
            assertThat(refused(node)).isZero();

            // A direct peer (127.0.0.3) forging a header: one clear refusal, then the connection is closed.
            String answer = exchange(port, "127.0.0.3", "");
            assertThat(answer).startsWith("HTTP/1.1 400")
                    .contains("PROXY protocol header from untrusted peer /127.0.0.3:")
                    .contains("--trusted-proxies");
            assertThat(refused(node)).isEqualTo(1.0);

            // Its WebSocket upgrade never happens, so the forged address never reaches a welcome.
            assertThatThrownBy(() -> new RawWsFrom(port, "127.0.0.3")).hasMessageContaining("400");
            assertThat(refused(node)).isEqualTo(2.0);

            // The same peer without a header is served as itself.
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.3"), 0));
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                s.setSoTimeout(10_000);
                s.getOutputStream().write("GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(RawWs.readHead(s.getInputStream())).startsWith("HTTP/1.1 200");
            }
        }
    }

    @Test
    void loopbackIsTrustedByDefault() throws Exception {
        try (ChatNode node = TestNodes.start(dir, "n1", b -> b.acceptProxyProtocol = true)) {
            assertThat(exchange(node.address().getPort(), "127.0.0.9", "GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n"))
                    .startsWith("HTTP/1.1 200");
            assertThat(refused(node)).isZero();
        }
    }

    @Test
    void badTrustedProxyEntriesAreRefusedNamingTheEntry() {
        assertThatThrownBy(() -> TrustedProxies.parse("10.0.0.0/8,lb1.internal"))
                .hasMessage("trusted proxy 'lb1.internal' is not an IP address or CIDR block (e.g. 10.0.0.21 or 10.0.0.0/24)");
        assertThatThrownBy(() -> TrustedProxies.parse("10.0.0.0/33")).hasMessageContaining("'10.0.0.0/33'");
        assertThatThrownBy(() -> TrustedProxies.parse(" ")).hasMessageContaining("at least one");
        TrustedProxies t = TrustedProxies.parse("10.0.0.0/24, ::1");
        assertThat(t.trusts(new InetSocketAddress("10.0.0.200", 1))).isTrue();
        assertThat(t.trusts(new InetSocketAddress("10.0.1.1", 1))).isFalse();
        assertThat(t.trusts(new InetSocketAddress("::1", 1))).isTrue();
    }

    /** A WebSocket handshake with a forged PROXY header from {@code from}. */
    private static final class RawWsFrom {
        RawWsFrom(int port, String from) throws Exception {
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                s.setSoTimeout(10_000);
                s.getOutputStream().write((HEADER + "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                String head = RawWs.readHead(s.getInputStream());
                throw new IllegalStateException("handshake answered: " + head);
            }
        }
    }
}
