package io.stickyring.dist;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** `stickyring zk`: Run a standalone embedded ZooKeeper server for development. */
@Command(name = "zk", mixinStandardHelpOptions = true, description = "Run a standalone embedded ZooKeeper server for development.")
public final class ZkCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("stickyring zk: not built yet");
        return 2;
    }
}
