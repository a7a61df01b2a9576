package io.stickyring.dist;

import io.stickyring.chat.LoadgenCommand;
import io.stickyring.chat.NodeCommand;
import io.stickyring.chat.TokenCommand;
import io.stickyring.lb.LbCommand;
import io.stickyring.sim.SimCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one stickyring jar: each part of the system is a picocli subcommand. */
@Command(name = "stickyring", mixinStandardHelpOptions = true, version = "stickyring 0.1.0",
        description = "Consistent-hashing, client-IP-sticky L4 load balancer and the chat nodes it fronts.",
        subcommands = {DemoCommand.class, LbCommand.class, NodeCommand.class, ZkCommand.class, SimCommand.class, LoadgenCommand.class, TokenCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
