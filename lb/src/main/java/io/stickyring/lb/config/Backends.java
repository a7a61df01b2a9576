package io.stickyring.lb.config;

import io.stickyring.cli.MemberSpec;
import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;

/** {@code --backend ID=HOST:PORT[/WEIGHT]} (cli's {@link MemberSpec} grammar) as an ACTIVE member. */
public final class Backends {

    private Backends() {
    }

    /** @throws IllegalArgumentException "--backend (TEXT): REASON" */
    public static Member parse(String text) {
        MemberSpec m = MemberSpec.parse("--backend", text);
        return new Member(m.id(), m.address().host(), m.address().port(), m.weight(), MemberState.ACTIVE, "", 0L, "");
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
            throw new IllegalArgumentException("--backend (" + text + "): host '" + m.host() + "' does not resolve");
        }
        return m;
    }
}
