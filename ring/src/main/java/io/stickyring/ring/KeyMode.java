package io.stickyring.ring;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What part of a client's address {@link ClientKeys} hashes: command-line names in parentheses. */
public enum KeyMode {
    /** The whole IP address ({@code address}): one client host, one member. */
    ADDRESS("address"),
    /** The address's network prefix ({@code prefix}, /24 and /64 by default): a whole subnet sticks together. */
    PREFIX("prefix"),
    /** Address and source port ({@code address-port}): per-connection spreading, no stickiness across connections. */
    ADDRESS_PORT("address-port");

    private final String cliName;

    KeyMode(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** Parses a command-line name (case-insensitive), naming the bad value on failure. */
    public static KeyMode fromName(String name) {
        if (name != null) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (KeyMode m : values()) {
                if (m.cliName.equals(n)) {
                    return m;
                }
            }
        }
        throw new IllegalArgumentException("unknown key mode '" + name + "'; expected one of "
                + Arrays.stream(values()).map(KeyMode::cliName).collect(Collectors.joining("|")));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
