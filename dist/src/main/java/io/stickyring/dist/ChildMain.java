package io.stickyring.dist;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;

/**
 * Entry point of a process the demo starts: {@code java -cp JAR io.stickyring.dist.ChildMain
 * --parent-pid PID node --listen ...} runs any stickyring subcommand exactly as {@link Main} does,
 * and exits (through the normal shutdown hooks, so a node still deregisters) as soon as its parent
 * is gone.
 *
 * <p>Invariant: a child never outlives the demo JVM. Two independent signals, either one suffices:
 * EOF on stdin (the demo holds the write end of a pipe; the kernel closes it when the demo dies,
 * even by SIGKILL) and {@link ProcessHandle#onExit()} of the parent PID. If the graceful shutdown
 * then hangs (it does when the demo's embedded ZooKeeper died with it: deregistering retries), the
 * process halts after {@link #HALT_AFTER_MILLIS}; SQLite in WAL mode with synchronous=FULL loses no
 * committed message on a halt.
 */
public final class ChildMain {

    static final long HALT_AFTER_MILLIS = 5_000;
    /** Exit status when the parent went away (documented in docs/demo.md). */
    static final int PARENT_GONE_STATUS = 3;
    private static final AtomicBoolean EXITING = new AtomicBoolean();

    private ChildMain() {
    }

    public static void main(String[] args) {
        if (args.length < 2 || !args[0].equals("--parent-pid")) {
            System.err.println("usage: ChildMain --parent-pid PID SUBCOMMAND [ARGS...]");
            System.exit(2);
        }
        long parentPid;
        try {
            parentPid = Long.parseLong(args[1]);
        } catch (NumberFormatException e) {
            System.err.println("ChildMain: --parent-pid (" + args[1] + ") is not a process id");
            System.exit(2);
            return;
        }
        quietLibraryLogsUnlessConfigured();
        watchStdin(System.in);
        ProcessHandle.of(parentPid).ifPresentOrElse(
                parent -> parent.onExit().thenRun(() -> parentGone("parent process " + parentPid + " exited")),
                () -> parentGone("parent process " + parentPid + " is not running"));
        int code = Main.run(Arrays.copyOfRange(args, 2, args.length));
        System.exit(code);
    }

    private static void watchStdin(InputStream in) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[256];
            try {
                while (in.read(buf) >= 0) {
                    // the demo never writes; anything read is ignored
                }
            } catch (IOException e) {
                // a broken pipe means the same as EOF
            }
            parentGone("stdin closed (demo process gone)");
        }, "parent-watch-stdin");
        t.setDaemon(true);
        t.start();
    }

    private static void parentGone(String why) {
        if (!EXITING.compareAndSet(false, true)) {
            return;
        }
        System.err.println("stickyring child: " + why + "; stopping");
        Thread halt = new Thread(() -> {
            try {
                Thread.sleep(HALT_AFTER_MILLIS); // bound on a hung shutdown hook
            } catch (InterruptedException e) {
                return;
            }
            Runtime.getRuntime().halt(PARENT_GONE_STATUS);
        }, "parent-watch-halt");
        halt.setDaemon(true);
        halt.start();
        // exit from a fresh thread: System.exit blocks until the hooks finish, and must not run on a
        // thread a hook might wait for.
        new Thread(() -> System.exit(PARENT_GONE_STATUS), "parent-watch-exit").start();
    }

    /** Without a logback file, logback logs everything at DEBUG: keep the node's own INFO, libraries at WARN. */
    static void quietLibraryLogsUnlessConfigured() {
        if (System.getProperty("logback.configurationFile") != null
                || ChildMain.class.getClassLoader().getResource("logback.xml") != null
                || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
        context.getLogger("io.stickyring").setLevel(Level.INFO);
    }
}
