package io.stickyring.lb.proxy;

import io.netty.channel.Channel;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.EpollChannelConfig;
import io.netty.channel.epoll.EpollMode;

/**
 * Zero-copy relay by Netty's epoll {@code spliceTo} (socket to pipe to socket in the kernel),
 * kept only so that {@code bench/lb/splice-bulk.sh} can measure it against the normal path
 * ({@code -Dstickyring.lb.splice-experiment=true}). It is not a supported mode: bytes never reach
 * the handlers, so byte counters, idle timers, backpressure accounting and half-close forwarding
 * do not apply; docs/lb.md gives the measurement and why there is no {@code --splice} flag.
 */
@SuppressWarnings("deprecation") // spliceTo is deprecated in Netty 4.2; that is part of what is measured
final class SpliceExperiment {

    private SpliceExperiment() {
    }

    /** Starts splicing both directions; false (nothing changed) when either side is not epoll. */
    static boolean start(Channel client, Channel member) {
        if (!(client instanceof AbstractEpollStreamChannel c) || !(member instanceof AbstractEpollStreamChannel m)) {
            return false;
        }
        ((EpollChannelConfig) c.config()).setEpollMode(EpollMode.LEVEL_TRIGGERED);
        ((EpollChannelConfig) m.config()).setEpollMode(EpollMode.LEVEL_TRIGGERED);
        c.spliceTo(m, Integer.MAX_VALUE);
        m.spliceTo(c, Integer.MAX_VALUE);
        c.config().setAutoRead(true);
        m.config().setAutoRead(true);
        return true;
    }
}
