package io.stickyring.lb;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** `stickyring lb`: Run the client-IP-sticky TCP load balancer. */
@Command(name = "lb", mixinStandardHelpOptions = true, description = "Run the client-IP-sticky TCP load balancer.")
public final class LbCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("stickyring lb: not built yet");
        return 2;
    }
}
