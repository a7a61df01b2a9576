// Load client for bench/chat/run.sh, on top of LoadClient.java (same folder). run.sh compiles both
// against the stickyring jar and runs:
//   java -cp dist/target/stickyring.jar:CLASSES ChatBench send --port P --secret S ...
//   java -cp dist/target/stickyring.jar:CLASSES ChatBench rate --port P --secret S --rate 500
//   java -cp dist/target/stickyring.jar:CLASSES ChatBench idle --port P --secret S --connections 10000
//
// send: U users in direct-conversation pairs, each keeping W sends outstanding (closed loop) for
//       the warm-up and then the measured duration; ack latency (send written -> ack read) goes into
//       an HdrHistogram. Prints one JSON line.
// rate: open loop at a fixed total rate; ack and delivery latency, and the node's own ack histogram.
// idle: N authenticated WebSockets (hello + synced) from many source addresses 127.1.x.y, held
//       open until stdin closes or --hold seconds pass. Prints "READY <n>" once all are up.
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

public class ChatBench {
    public static void main(String[] args) throws Exception {
        Map<String, String> o = LoadClient.options(args);
        String mode = args[0];
        try (LoadClient client = new LoadClient(o, new int[] {Integer.parseInt(o.get("port"))})) {
            switch (mode) {
                case "send" -> System.out.println(client.send(false));
                case "rate" -> System.out.println(client.rate());
                case "idle" -> idle(client);
                default -> throw new IllegalArgumentException("mode (" + mode + ") must be send, rate or idle");
            }
        }
    }

    static void idle(LoadClient client) throws Exception {
        int n = client.intOption("connections", "10000");
        int perIp = client.intOption("per-ip", "250");
        int hold = client.intOption("hold", "600");
        AtomicInteger synced = new AtomicInteger();
        AtomicInteger closed = new AtomicInteger();
        Channel[] channels = new Channel[n];
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            int ip = i / perIp;
            InetSocketAddress local = new InetSocketAddress("127.1." + (ip / 250) + "." + (ip % 250 + 1), 0);
            channels[i] = client.connect(client.ports[0], local, "idle" + i, (ch, f) -> {
                if (f.get("t").asText().equals("synced")) {
                    synced.incrementAndGet();
                }
            });
            channels[i].closeFuture().addListener(f -> closed.incrementAndGet());
            if ((i + 1) % 1000 == 0) {
                System.err.printf("idle: %d connected, %d synced (%.1f s)%n", i + 1, synced.get(), (System.nanoTime() - t0) / 1e9);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (synced.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        System.out.println("READY " + synced.get() + " closed " + closed.get());
        System.out.flush();
        // Hold until the script closes our stdin (or the hold time passes).
        Thread reader = new Thread(() -> {
            try {
                while (System.in.read() >= 0) { }
            } catch (Exception e) { }
        });
        reader.setDaemon(true);
        reader.start();
        reader.join(hold * 1000L);
        System.out.println("closed-during-hold " + closed.get());
        for (Channel ch : channels) {
            ch.close();
        }
    }
}
