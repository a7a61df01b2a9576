package io.stickyring.lb;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import picocli.CommandLine;

/**
 * The training run behind the LB's class-data-sharing archive (docs/lb.md, "LB start time"). The
 * launcher runs it once per jar and Java version with {@code -XX:ArchiveClassesAtExit=FILE}; the JVM
 * then writes every class this run loaded into FILE, and later {@code stickyring lb} starts map them
 * instead of loading, verifying and linking them again from the jar (about a third less CPU to the
 * first accepted connection). So the run goes through what a real start and its first minutes go
 * through: the command line, the config, logging, the balancer's start on loopback with a member, a
 * few hundred proxied connections, the admin API's pages, and a graceful stop. Loopback only, port 0
 * everywhere; it exits 0 when every connection came back, 1 otherwise (the launcher then keeps no archive).
 */
public final class LbTraining {

    static final int CONNECTIONS = 300;

    private LbTraining() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run() ? 0 : 1);
    }

    /** One training run; true when every proxied connection echoed its bytes. */
    static boolean run() throws Exception {
        try (ServerSocket member = new ServerSocket()) {
            member.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread echo = new Thread(() -> echo(member), "training-member");
            echo.setDaemon(true);
            echo.start();
            LbCommand command = new LbCommand();
            new CommandLine(command).parseArgs("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                    "--backend", "t=127.0.0.1:" + member.getLocalPort(), "--close-log-sample", "0");
            LbCommand.Launched launched = command.launch();
            if (launched.lb() == null) {
                return false;
            }
            LoadBalancer lb = launched.lb();
            try {
                int ok = 0;
                byte[] ping = "training\n".getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < CONNECTIONS; i++) {
                    try (Socket s = new Socket()) {
                        s.connect(lb.proxyAddress(), 10_000);
                        s.setSoTimeout(10_000);
                        s.getOutputStream().write(ping);
                        s.shutdownOutput();
                        if (new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).equals("training\n")) {
                            ok++;
                        }
                    }
                }
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
                for (String page : new String[] {"/metrics", "/members", "/lookup?ip=127.0.0.1", "/readyz"}) {
                    http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lb.adminAddress().getPort() + page))
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
                }
                if (ok != CONNECTIONS) {
                    System.err.println("lb training: " + ok + " of " + CONNECTIONS + " proxied connections echoed");
                }
                return ok == CONNECTIONS;
            } finally {
                lb.shutdown(Duration.ZERO);
            }
        }
    }

    /** The member: echoes each connection's bytes until its FIN, then closes. */
    private static void echo(ServerSocket member) {
        while (!member.isClosed()) {
            try (Socket s = member.accept()) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                in.transferTo(out);
            } catch (IOException e) {
                // one connection failed (the count in run() says so) or the member closed: next accept
            }
        }
    }
}
