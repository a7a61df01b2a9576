// Load client for bench/cluster/run.sh: the closed-loop "send" and open-loop "rate" modes of the
// shared bench/chat/LoadClient.java, with users spread over several nodes. run.sh compiles both
// against the stickyring jar and runs:
//   java -cp dist/target/stickyring.jar:CLASSES ClusterBench send --ports P1,P2,P3 --secret S ...
//   java -cp dist/target/stickyring.jar:CLASSES ClusterBench rate --ports P1,P2,P3 --admin-ports A1,A2,A3 --secret S --rate 500
//
// User u connects to node u % k and talks with user u ^ 1, which (for k = 3) is always on another
// node: every delivery crosses nodes (store on one node, push through the bus to another). With
// one port it is the single-node peer run. Both modes record ack latency (send written -> ack read)
// and delivery latency (send written -> the peer's msg frame). Prints one JSON line.
import java.util.Arrays;
import java.util.Map;

public class ClusterBench {
    public static void main(String[] args) throws Exception {
        Map<String, String> o = LoadClient.options(args);
        String mode = args[0];
        int[] ports = Arrays.stream(o.get("ports").split(",")).mapToInt(Integer::parseInt).toArray();
        try (LoadClient client = new LoadClient(o, ports)) {
            switch (mode) {
                case "send" -> System.out.println(client.send(true));
                case "rate" -> System.out.println(client.rate());
                default -> throw new IllegalArgumentException("mode (" + mode + ") must be send or rate");
            }
        }
    }
}
