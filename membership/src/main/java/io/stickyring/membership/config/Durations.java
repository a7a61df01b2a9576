package io.stickyring.membership.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the short durations of ZooKeeper flags and of store/bus spec parameters: {@code 500ms},
 * {@code 10s}, {@code 2m}, or a bare number of milliseconds. One parser, so every such setting
 * accepts the same text and names the setting and the bad text when it refuses one.
 */
public final class Durations {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m)?");

    private Durations() {
    }

    /** @throws IllegalArgumentException naming {@code what} and the bad text */
    public static Duration parse(String what, String text) {
        Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(what + " (" + text + ") must be a duration like 500ms, 10s or 2m");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        return switch (unit) {
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofMillis(amount);
        };
    }
}
