package io.stickyring.chat.protocol;

import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reconnect hint a node puts in the reason of a {@link CloseCodes#SERVICE_RESTART} close:
 * {@code retry-after-ms=N}, N a whole number of milliseconds, anywhere in the reason text
 * (the node sends {@code "node restarting; retry-after-ms=1830"}). The node writes it with
 * {@link #format}, the client reads it with {@link #parse}; docs/protocol.md "Close codes".
 */
public final class RetryHint {
    static final String KEY = "retry-after-ms=";
    private static final Pattern HINT = Pattern.compile(Pattern.quote(KEY) + "(\\d+)");

    private RetryHint() {
    }

    /** {@code retry-after-ms=N}; {@code millis} must be >= 0. */
    public static String format(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("retry hint (" + millis + " ms) must be >= 0");
        }
        return KEY + millis;
    }

    /** The hint's milliseconds in {@code reason}, or empty when there is none (or it is not a plain number that fits a long). */
    public static OptionalLong parse(String reason) {
        if (reason == null) {
            return OptionalLong.empty();
        }
        Matcher m = HINT.matcher(reason);
        if (!m.find()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(m.group(1)));
        } catch (NumberFormatException tooLong) {
            return OptionalLong.empty();
        }
    }
}
