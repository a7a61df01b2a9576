package io.stickyring.lb.proxy;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The member connect timeout ({@code --connect-timeout}) of all connections on one event loop, in place
 * of Netty's per-channel timeout task.
 *
 * <p>Netty schedules a task per connect ({@code CONNECT_TIMEOUT_MILLIS}): a {@code ScheduledFutureTask}
 * and a lambda allocated, a priority-queue insert and removal (O(log n) in the connects in flight), and
 * the cancelled task stays referenced by the channel for its whole life (64 bytes live per idle
 * connection, heap-per-conn.sh). Here every connect has the same timeout, so the order in which
 * connects start is the order of their deadlines: the connects in flight form a {@link LoopTimerList},
 * a finished connect unlinks itself in O(1), and one task per loop is scheduled for the oldest deadline.
 *
 * <p>A connect still in flight at its deadline is ended by closing its member channel: Netty fails the
 * connect with a {@code ClosedChannelException}, and the connect listener treats that as any failed
 * connect (member marked failed, the key's next member tried).
 *
 * <p>Invariant: touched only on its event loop; a connection is in the list exactly while its member
 * connect is in flight and a deadline applies.
 */
final class ConnectTimer extends LoopTimerList {

    private static final Logger log = LoggerFactory.getLogger(ConnectTimer.class);

    ConnectTimer(EventLoop loop, long timeoutNanos) {
        super(loop, timeoutNanos);
    }

    /** Closes the member channel of a connect past its deadline. */
    @Override
    void expired(ProxyConnection c) {
        Channel b = c.backend;
        log.debug("member connect for client {} timed out after {} ms", c.client, TimeUnit.NANOSECONDS.toMillis(delayNanos()));
        if (b != null) {
            b.close(); // fails the connect future: the connect listener handles it as a failed connect
        }
    }
}
