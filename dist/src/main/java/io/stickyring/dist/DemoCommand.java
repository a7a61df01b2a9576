package io.stickyring.dist;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** `stickyring demo`: Run embedded ZooKeeper, N chat nodes and one LB on this machine. */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run embedded ZooKeeper, N chat nodes and one LB on this machine.")
public final class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("stickyring demo: not built yet");
        return 2;
    }
}
