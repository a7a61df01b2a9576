package io.stickyring.cli;

import java.util.Objects;

/**
 * The one {@code ID=HOST:PORT[/WEIGHT]} grammar for a member written by hand: the LB's
 * {@code --backend} and ring-sim's {@code whatif --add}. The weight follows a slash; the
 * {@code @WEIGHT} that ring-sim once wrote is refused with a message naming the new form.
 *
 * <p>Invariant: id non-empty without {@code =}, address as {@link HostPort#parseConnectable},
 * weight an integer >= 1 (default 1). Errors: "FLAG (VALUE): REASON".
 */
public record MemberSpec(String id, HostPort address, int weight) {

    /** What every error message shows as the accepted form. */
    public static final String FORM = "ID=HOST:PORT[/WEIGHT]";
    public MemberSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        if (id.isBlank() || id.indexOf('=') >= 0) {
            throw new IllegalArgumentException("member id (" + id + ") must be non-empty without '='");
        }
        if (weight < 1) {
            throw new IllegalArgumentException("weight (" + weight + ") must be >= 1");
        }
    }

    /** @throws IllegalArgumentException "FLAG (VALUE): REASON", naming the form to write */
    public static MemberSpec parse(String flag, String text) {
        String s = text == null ? "" : text.trim();
        int eq = s.indexOf('=');
        if (eq <= 0 || eq == s.length() - 1) {
            throw error(flag, text, "must be " + FORM);
        }
        String id = s.substring(0, eq).trim();
        String rest = s.substring(eq + 1).trim();
        if (rest.indexOf('@') >= 0) {
            throw error(flag, text, "'@WEIGHT' is no longer accepted; write " + FORM + ", e.g. "
                    + id + "=" + rest.substring(0, rest.indexOf('@')) + "/" + rest.substring(rest.indexOf('@') + 1));
        }
        int weight = 1;
        int slash = rest.lastIndexOf('/');
        if (slash >= 0) {
            weight = weight(flag, text, rest.substring(slash + 1));
            rest = rest.substring(0, slash);
        }
        HostPort address;
        try {
            address = HostPort.parseConnectable(flag, rest);
        } catch (IllegalArgumentException e) {
            // Name the whole spec, not just its address part.
            throw error(flag, text, e.getMessage().substring(e.getMessage().indexOf("): ") + 3) + " (" + FORM + ")");
        }
        return new MemberSpec(id, address, weight);
    }

    /** A weight after '/': an integer >= 1; used by every member grammar that has one. */
    public static int weight(String flag, String text, String weight) {
        String w = weight.trim();
        int value = w.chars().allMatch(Character::isDigit) && !w.isEmpty() && w.length() <= 9 ? Integer.parseInt(w) : -1;
        if (value < 1) {
            throw error(flag, text, "weight (" + weight + ") must be an integer >= 1");
        }
        return value;
    }

    private static IllegalArgumentException error(String flag, String text, String reason) {
        return new IllegalArgumentException(flag + " (" + text + "): " + reason);
    }

    /** {@code id=host:port[/weight]}: what {@link #parse} reads back. */
    @Override
    public String toString() {
        return id + "=" + address + (weight == 1 ? "" : "/" + weight);
    }
}
