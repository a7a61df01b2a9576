package io.stickyring.dist;

import io.stickyring.chat.NodeCommand;
import io.stickyring.chat.TokenCommand;
import io.stickyring.lb.LbCommand;
import io.stickyring.cli.StartupException;
import io.stickyring.sim.SimCommand;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The one stickyring jar: each part of the system is a picocli subcommand.
 *
 * <p>Every failure before a command serves ends the same way, decided here and not per command: one
 * line on stderr, {@code stickyring CMD: } and a message that names the flag and value; exit 2 for
 * bad input (a bad flag also gets a one-line hint to {@code --help}, never the whole usage), exit 1
 * for the environment (see {@link StartupException}). {@code --debug} anywhere on the command line
 * adds the stack trace.
 */
@Command(name = "stickyring", mixinStandardHelpOptions = true, version = "stickyring 0.1.0",
        description = {"Consistent-hashing, client-IP-sticky L4 load balancer and the chat nodes it fronts.",
                "Launcher flags (anywhere on the line): --debug (stack traces with errors), --log-format text|json,",
                "--access-log FILE (the LB's per-connection lines to FILE instead of stderr)."})
public final class Main implements Runnable {

    /**
     * The subcommands, in the order the usage lists them. Built on demand: a run builds only the one
     * it names, since picocli reflects over every option of every command it is given, and loading
     * and reflecting over all seven (with the chat node's and ring-sim's classes) cost 0.5-0.8 s of
     * every start of {@code stickyring lb} (docs/lb.md, "LB start time"); usage and errors that are
     * not about one command get all of them.
     */
    static final Map<String, Supplier<Object>> COMMANDS = commands();

    private static Map<String, Supplier<Object>> commands() {
        Map<String, Supplier<Object>> m = new LinkedHashMap<>();
        m.put("demo", DemoCommand::new);
        m.put("lb", LbCommand::new);
        m.put("node", NodeCommand::new);
        m.put("zk", ZkCommand::new);
        m.put("sim", SimCommand::new);
        m.put("loadgen", LoadgenCommand::new);
        m.put("token", TokenCommand::new);
        return Collections.unmodifiableMap(m);
    }

    /** System property set by {@code --debug}: stack traces with start-up errors. */
    static final String DEBUG_PROPERTY = "stickyring.debug";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command line as the jar does and returns the exit code. The launcher's own flags are
     * taken out first, wherever they stand, since they act before any command (and before logging)
     * starts: {@code --debug}, {@code --log-format text|json}, {@code --access-log FILE}.
     */
    static int run(String[] args) {
        List<String> rest = new ArrayList<>();
        String accessLog = null;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--debug")) {
                    System.setProperty(DEBUG_PROPERTY, "true");
                } else if (a.equals("--log-format") || a.startsWith("--log-format=")) {
                    LogSetup.format(a.contains("=") ? a.substring(a.indexOf('=') + 1) : value(args, ++i, a));
                } else if (a.equals("--access-log") || a.startsWith("--access-log=")) {
                    accessLog = a.contains("=") ? a.substring(a.indexOf('=') + 1) : value(args, ++i, a);
                } else {
                    rest.add(a);
                }
            }
            if (accessLog != null) {
                LogSetup.accessLogTo(java.nio.file.Path.of(accessLog));
            }
        } catch (StartupException e) {
            System.err.println("stickyring: " + e.getMessage());
            System.err.println("see 'stickyring --help'");
            return e.exitCode();
        }
        return commandLine(rest.isEmpty() ? null : rest.get(0)).execute(rest.toArray(String[]::new));
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new StartupException(StartupException.BAD_INPUT, "missing value for " + flag, null);
        }
        return args[i];
    }

    /** Whether {@code --access-log} sent the LB's access lines to a file (the demo then leaves them there). */
    static boolean accessLogConfigured() {
        return LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext c
                && c.getLogger(LogSetup.ACCESS_LOGGER).getAppender("ACCESS_FILE") != null;
    }

    /** The root command line with every subcommand and the one-line error handlers. */
    static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The root command line for a run whose first argument is {@code first}: only that subcommand
     * when it names one, else all of them (usage, {@code --version}, an unknown command's error).
     */
    static CommandLine commandLine(String first) {
        CommandLine cl = new CommandLine(new Main());
        Supplier<Object> only = first == null ? null : COMMANDS.get(first);
        if (only != null) {
            cl.addSubcommand(first, only.get());
        } else {
            COMMANDS.forEach((name, command) -> cl.addSubcommand(name, command.get()));
        }
        // After the subcommands: picocli hands the handlers down only to subcommands already added.
        return cl.setParameterExceptionHandler(Main::badInput)
                .setExecutionExceptionHandler(Main::failed);
    }

    private static boolean debug() {
        return Boolean.getBoolean(DEBUG_PROPERTY);
    }

    /** A bad flag or value: the error and a hint, not 30-140 lines of usage. */
    static int badInput(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        String name = cl.getCommandSpec().qualifiedName();
        err.println(name + ": " + StartupException.oneLine(String.valueOf(e.getMessage())));
        err.println("see '" + name + " --help'");
        if (debug()) {
            e.printStackTrace(err);
        }
        err.flush();
        return StartupException.BAD_INPUT;
    }

    /** A command failed: one line naming what failed; the exit code from a StartupException, else 2 for IllegalArgumentException, else 1. */
    static int failed(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        StartupException startup = find(e, StartupException.class);
        int code;
        String message;
        if (startup != null) {
            code = startup.exitCode();
            message = startup.getMessage();
        } else if (e instanceof IllegalArgumentException) {
            code = StartupException.BAD_INPUT;
            message = StartupException.reason(e);
        } else {
            code = StartupException.ENVIRONMENT;
            message = StartupException.reason(e);
        }
        // An unexpected failure (no StartupException) may need its trace: say how to get it.
        err.println(cl.getCommandSpec().qualifiedName() + ": " + message
                + (startup != null || debug() ? "" : " (--debug for the stack trace)"));
        if (debug()) {
            e.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }
}
