package io.stickyring.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one duration grammar of every stickyring flag, YAML key and store/bus spec parameter:
 * one or more {@code <digits><unit>} parts with units {@code ms}, {@code s}, {@code m}, {@code h}
 * in decreasing order ({@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h}, {@code 1m30s}), or a
 * bare {@code 0}. Nothing else: a bare number other than 0 is refused with a message naming the
 * form to write ({@code '1500' needs a unit, e.g. 1500ms}), and so is ISO-8601 ({@code PT10S}),
 * which the chat node used to take. Worked example: {@code 1h2m3s4ms} = 3,723,004 ms.
 */
public final class Durations {
    /** What every error message shows as the accepted forms. */
    public static final String FORMS = "250ms, 2s, 5m, 1h, 1m30s or 0";

    private static final Pattern WHOLE = Pattern.compile("(?:\\d{1,12}(?:ms|s|m|h))+");
    private static final Pattern PART = Pattern.compile("(\\d{1,12})(ms|s|m|h)");
    private static final Pattern BARE = Pattern.compile("\\d{1,12}");
    private static final String[] ORDER = {"h", "m", "s", "ms"};

    private Durations() {
    }

    /**
     * @param what the flag or key being parsed, named in the error
     * @throws IllegalArgumentException naming {@code what} and the bad text
     */
    public static Duration parse(String what, String text) {
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }

    /** @throws IllegalArgumentException naming the bad text and the accepted forms */
    public static Duration parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (BARE.matcher(s).matches()) {
            throw new IllegalArgumentException("'" + text + "' needs a unit, e.g. " + s + "ms or " + s + "s (durations: " + FORMS + ")");
        }
        if (!WHOLE.matcher(s).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (" + FORMS + ")");
        }
        Matcher m = PART.matcher(s);
        Duration total = Duration.ZERO;
        int lastUnit = -1;
        while (m.find()) {
            int unit = java.util.Arrays.asList(ORDER).indexOf(m.group(2));
            if (unit <= lastUnit) {
                throw new IllegalArgumentException("'" + text + "' repeats or misorders a unit (write hours, minutes, seconds, ms in that order, e.g. 1m30s)");
            }
            lastUnit = unit;
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "h" -> Duration.ofHours(n);
                case "m" -> Duration.ofMinutes(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMillis(n);
            });
        }
        return total;
    }

    /** Inverse of {@link #parse} for display: {@code 90s} -> "1m30s", zero -> "0". */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0";
        }
        StringBuilder out = new StringBuilder();
        long[] sizes = {3_600_000, 60_000, 1000, 1};
        for (int i = 0; i < sizes.length; i++) {
            long n = ms / sizes[i];
            if (n > 0) {
                out.append(n).append(ORDER[i]);
                ms -= n * sizes[i];
            }
        }
        return out.toString();
    }
}
