package io.stickyring.chat;

import picocli.CommandLine;

/** Runs {@link NodeCommand} directly (without the dist jar): {@code java -cp ... io.stickyring.chat.NodeMain --listen ...}. */
public final class NodeMain {
    private NodeMain() {
    }

    public static void main(String[] args) {
        int code = new CommandLine(new NodeCommand()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }
}
