package io.stickyring.chat;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** `stickyring node`: Run a chat node (WebSocket + HTTP API). */
@Command(name = "node", mixinStandardHelpOptions = true, description = "Run a chat node (WebSocket + HTTP API).")
public final class NodeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("stickyring node: not built yet");
        return 2;
    }
}
