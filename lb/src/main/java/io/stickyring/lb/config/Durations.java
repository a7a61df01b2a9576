package io.stickyring.lb.config;

import java.time.Duration;
import java.util.Locale;

/** Parses the human durations used in flags and YAML: {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h}, {@code 0}. */
public final class Durations {

    private Durations() {
    }

    public static Duration parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            long n = Long.parseLong(s.substring(0, s.length() - 1));
            switch (s.charAt(s.length() - 1)) {
                case 's': return Duration.ofSeconds(n);
                case 'm': return Duration.ofMinutes(n);
                case 'h': return Duration.ofHours(n);
                default: break;
            }
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            // fall through to the error below, which names the text
        }
        throw new IllegalArgumentException("'" + text + "' is not a duration (examples: 250ms, 2s, 5m, 1h, 0)");
    }

    /** Inverse of {@link #parse} for display (whole units only). */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
