package io.stickyring.lb.config;

import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;

/** Parses {@code --backend ID=HOST:PORT[/WEIGHT]}; errors name the bad text. */
public final class Backends {

    private Backends() {
    }

    public static Member parse(String text) {
        int eq = text.indexOf('=');
        if (eq <= 0 || eq == text.length() - 1) {
            throw new IllegalArgumentException("backend '" + text + "' must be ID=HOST:PORT[/WEIGHT]");
        }
        String id = text.substring(0, eq).trim();
        String rest = text.substring(eq + 1).trim();
        int weight = 1;
        int slash = rest.lastIndexOf('/');
        if (slash > 0) {
            try {
                weight = Integer.parseInt(rest.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("weight in backend '" + text + "' is not a number");
            }
            rest = rest.substring(0, slash);
        }
        HostPort hp;
        try {
            hp = HostPort.parse(rest);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("backend '" + text + "': " + e.getMessage());
        }
        if (hp.port() == 0) {
            throw new IllegalArgumentException("backend '" + text + "': port must be in 1..65535");
        }
        return new Member(id, hp.host(), hp.port(), weight, MemberState.ACTIVE, "", 0L, "");
    }

    /**
     * Refuses a static member whose host does not resolve now (as HAProxy refuses to start on an
     * unresolvable server address): a typo would otherwise be accepted silently and only show as
     * failed connects. Literal addresses pass without a lookup.
     */
    public static Member requireResolvable(Member m, String text) {
        try {
            java.net.InetAddress.getByName(m.host());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("backend '" + text + "': host '" + m.host() + "' does not resolve");
        }
        return m;
    }
}
