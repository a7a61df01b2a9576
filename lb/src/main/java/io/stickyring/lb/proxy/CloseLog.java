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
        if (sample <= 0 || !ACCESS.isInfoEnabled()) {
            return;
        }
        if (sample < 1 && ThreadLocalRandom.current().nextDouble() >= sample) {
            return;
        }
        ACCESS.info(c.describe());
    }
}
