package io.stickyring.cli;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A start-up failure that the launcher prints as one line on stderr and turns into the process exit
 * code: {@link #BAD_INPUT} (2) for a value the operator gave that can never work, {@link #ENVIRONMENT}
 * (1) for the machine or a dependency (port taken, directory not writable, database down).
 *
 * <p>Invariant: the message names the flag and its value (or the address or path), is one line, and
 * reads on its own after "stickyring CMD: "; the cause is kept for {@code --debug}.
 */
public final class StartupException extends RuntimeException {

    /** Exit code for bad input (same as picocli's for a bad flag). */
    public static final int BAD_INPUT = 2;
    /** Exit code for an environment problem. */
    public static final int ENVIRONMENT = 1;

    private final int exitCode;

    public StartupException(int exitCode, String message, Throwable cause) {
        super(oneLine(Objects.requireNonNull(message, "message")), cause);
        if (exitCode != BAD_INPUT && exitCode != ENVIRONMENT) {
            throw new IllegalArgumentException("exitCode (" + exitCode + ") must be 1 or 2");
        }
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    /** "--listen (127.0.0.1:8080): bind failed: Address already in use" (exit 1). */
    public static StartupException cannotBind(String flag, Object address, Throwable cause) {
        return new StartupException(ENVIRONMENT, flag + " (" + address + "): bind failed: " + reason(cause), cause);
    }

    /**
     * Runs {@code open} (which builds what {@code flag} names) and prefixes any failure with the flag:
     * an {@link IllegalArgumentException} is bad input (exit 2), any other runtime failure an
     * environment problem (exit 1). The failure's own message names the value.
     */
    public static <T> T forFlag(String flag, Supplier<T> open) {
        try {
            return open.get();
        } catch (StartupException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new StartupException(BAD_INPUT, flag + ": " + reason(e), e);
        } catch (RuntimeException e) {
            throw new StartupException(ENVIRONMENT, flag + ": " + reason(e), e);
        }
    }

    /**
     * The most telling message of {@code t}'s cause chain, on one line: the outermost message that is
     * not just a wrapped exception's toString, stripped of Netty's "bind(..) failed with error(-98): ".
     */
    public static String reason(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = t.getMessage();
        if (m == null || m.isBlank() || (t.getCause() != null && m.equals(t.getCause().toString()))) {
            m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        }
        m = m.replaceFirst("^[a-z]+\\(\\.\\.\\) failed with error\\(-?\\d+\\): ", "");
        return oneLine(m);
    }

    /**
     * The one wording for a {@code --config} file that cannot be read or parsed, used by every
     * command: "--config (FILE): cannot read: REASON" (ring-sim, which cannot import this, repeats it).
     */
    public static String unreadableConfig(Object file, Exception e) {
        String why;
        if (e instanceof java.io.FileNotFoundException || e instanceof java.nio.file.NoSuchFileException) {
            why = java.nio.file.Files.exists(java.nio.file.Path.of(file.toString())) ? "permission denied" : "no such file";
        } else if (e instanceof java.nio.file.AccessDeniedException) {
            why = "permission denied";
        } else {
            why = reason(e);
        }
        return "--config (" + file + "): cannot read: " + why;
    }

    /** Collapses line breaks (Jackson and JDBC messages have them) to single spaces. */
    public static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
