package io.stickyring.chat.client;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A chat client in its own JVM for crash tests. {@code queue SERVER USER DIR CONV PREFIX N}: queue N
 * messages (bodies PREFIX-i), print {@code QUEUED N}, keep running until killed.
 * {@code drain SERVER USER DIR}: connect, wait until the outbox is empty, print {@code DRAINED}, exit.
 */
public final class ClientProcessMain {
    private ClientProcessMain() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        ClientOptions o = ClientOptions.builder(URI.create(args[1]), args[2]).devLogin(true).transport(ClientOptions.TransportMode.WEBSOCKET)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).build();
        FileOutbox box = FileOutbox.open(Path.of(args[3]));
        ChatClient c = ChatClient.start(o, box, new ChatListener() { });
        if (mode.equals("queue")) {
            int n = Integer.parseInt(args[6]);
            for (int i = 0; i < n; i++) {
                c.send(args[4], args[5] + "-" + i);
            }
            System.out.println("QUEUED " + n);
            System.out.flush();
            new java.util.concurrent.CountDownLatch(1).await(); // until the test kills this process
        } else {
            try {
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                        .until(() -> c.pendingCount() == 0);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                // reported as STUCK below
            }
            System.out.println(c.pendingCount() == 0 ? "DRAINED" : "STUCK " + c.pendingCount());
            System.out.flush();
            c.close();
            System.exit(0);
        }
    }
}
