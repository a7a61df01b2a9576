package io.stickyring.lb.admin;

import io.stickyring.membership.MemberState;
import java.util.Locale;

/**
 * The runtime API's words, as an operator used to HAProxy's {@code set server ... state} types
 * them: {@code ready} (ACTIVE), {@code drain} (DRAINING), {@code maint} (MAINT), and weights 1..256.
 * Errors name the bad value.
 */
final class RuntimeState {

    /** Largest weight the runtime API sets (HAProxy's limit too). */
    static final int MAX_WEIGHT = 256;

    private RuntimeState() {
    }

    static MemberState parse(String value) {
        return switch (value == null ? "" : value.trim().toLowerCase(Locale.ROOT)) {
            case "ready" -> MemberState.ACTIVE;
            case "drain" -> MemberState.DRAINING;
            case "maint" -> MemberState.MAINT;
            default -> throw new IllegalArgumentException("state '" + value + "' must be ready, drain or maint");
        };
    }

    static int parseWeight(String value) {
        int w;
        try {
            w = Integer.parseInt(value == null ? "" : value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("weight '" + value + "' must be a whole number in 1.." + MAX_WEIGHT);
        }
        if (w < 1 || w > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight (" + w + ") must be in 1.." + MAX_WEIGHT);
        }
        return w;
    }
}
