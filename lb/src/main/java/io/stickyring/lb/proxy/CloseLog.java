package io.stickyring.lb.proxy;

import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per closed connection on logger {@code io.stickyring.lb.access}: client, member,
 * duration, bytes each way, and who closed and why. {@code sample} in [0,1] keeps that fraction of
 * lines (1 = all, 0 = none).
 */
public final class CloseLog {

    static final Logger ACCESS = LoggerFactory.getLogger("io.stickyring.lb.access");

    private final double sample;

    public CloseLog(double sample) {
        this.sample = sample;
    }

    void log(ProxyConnection c) {
        if (sampled()) {
            write(c.describe());
        }
    }

    /** Whether this close is logged (the sample's draw; false when the log is off). */
    boolean sampled() {
        if (sample <= 0 || !ACCESS.isInfoEnabled()) {
            return false;
        }
        return sample >= 1 || ThreadLocalRandom.current().nextDouble() < sample;
    }

    void write(String line) {
        ACCESS.info(line);
    }

    /** The line for one closed connection; {@code reason} null: the client closed. */
    static String line(java.net.InetSocketAddress client, io.stickyring.lb.route.MemberRuntime member, long startNanos,
                       long toMember, long fromMember, io.stickyring.lb.route.CloseReason reason) {
        return "close client=" + (client == null ? "-" : client.getAddress().getHostAddress() + ":" + client.getPort())
                + " member=" + (member == null ? "-" : member.id())
                + " duration_ms=" + (System.nanoTime() - startNanos) / 1_000_000
                + " bytes_to_member=" + toMember
                + " bytes_from_member=" + fromMember
                + " reason=" + (reason == null ? "client" : reason.label());
    }
}
