package io.stickyring.membership;

import java.util.Objects;

/**
 * One chat node as registered in membership: the JSON payload of its ephemeral znode, or one
 * entry of a static backend list.
 *
 * @param id              stable member id (also the ring identity)
 * @param host            advertised host clients' traffic is sent to
 * @param port            advertised TCP port (1..65535)
 * @param weight          relative share of the key space (>= 1)
 * @param state           ACTIVE, DRAINING or MAINT as published by the member or an operator
 * @param zone            failure zone label, may be empty
 * @param startedAtMillis epoch millis of the member process start
 * @param version         software version of the member, may be empty
 */
public record Member(String id, String host, int port, int weight, MemberState state, String zone,
                     long startedAtMillis, String version) {

    public Member {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(state, "state");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("member id must not be empty");
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host of member '" + id + "' must not be empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port (" + port + ") of member '" + id + "' must be in 1..65535");
        }
        if (weight < 1) {
            throw new IllegalArgumentException("weight (" + weight + ") of member '" + id + "' must be >= 1");
        }
        zone = zone == null ? "" : zone;
        version = version == null ? "" : version;
    }

    /** An ACTIVE member of weight 1 with no zone, for static lists and tests. */
    public static Member of(String id, String host, int port) {
        return new Member(id, host, port, 1, MemberState.ACTIVE, "", 0L, "");
    }

    public Member withState(MemberState newState) {
        return new Member(id, host, port, weight, newState, zone, startedAtMillis, version);
    }

    public Member withWeight(int newWeight) {
        return new Member(id, host, port, newWeight, state, zone, startedAtMillis, version);
    }

    /** {@code host:port}. */
    public String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
