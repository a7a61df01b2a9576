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
 * connects start is the order of their deadlines: the connects in flight form a FIFO list threaded
 * through the {@link ProxyConnection}s themselves (two references and a deadline each), a finished connect
 * unlinks itself in O(1), and one task per loop is scheduled for the oldest deadline. Under a steady
 * stream of fast connects that task runs about once per timeout period.
 *
 * <p>A connect still in flight at its deadline is ended by closing its member channel: Netty fails the
 * connect with a {@code ClosedChannelException}, and the connect listener treats that as any failed
 * connect (member marked failed, the key's next member tried).
 *
 * <p>Invariant: touched only on {@link #loop}; a connection is in the list exactly while its member
 * connect is in flight and a deadline applies.
 */
final class ConnectTimer implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(ConnectTimer.class);

    private final EventLoop loop;
    private final long timeoutNanos;
    private ProxyConnection head;
    private ProxyConnection tail;
    private boolean scheduled;

    ConnectTimer(EventLoop loop, long timeoutNanos) {
        this.loop = loop;
        this.timeoutNanos = timeoutNanos;
    }

    /** Starts {@code c}'s deadline for the member connect now in flight on {@code c.backend}. */
    void add(ProxyConnection c) {
        c.connectDeadline = System.nanoTime() + timeoutNanos;
        c.connectPrev = tail;
        c.connectNext = null;
        if (tail == null) {
            head = c;
        } else {
            tail.connectNext = c;
        }
        tail = c;
        c.connectQueued = true;
        if (!scheduled) {
            schedule(timeoutNanos);
        }
    }

    /** Ends {@code c}'s deadline (the connect finished either way); a no-op if it has none. */
    void remove(ProxyConnection c) {
        if (!c.connectQueued) {
            return;
        }
        c.connectQueued = false;
        ProxyConnection p = c.connectPrev;
        ProxyConnection n = c.connectNext;
        if (p == null) {
            head = n;
        } else {
            p.connectNext = n;
        }
        if (n == null) {
            tail = p;
        } else {
            n.connectPrev = p;
        }
        c.connectPrev = null;
        c.connectNext = null;
    }

    /** Closes the member channels whose connect is past its deadline; re-arms for the oldest one left. */
    @Override
    public void run() {
        scheduled = false;
        long now = System.nanoTime();
        for (ProxyConnection c = head; c != null && c.connectDeadline - now <= 0; c = head) {
            remove(c);
            Channel b = c.backend;
            log.debug("member connect for client {} timed out after {} ms", c.client, TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
            if (b != null) {
                b.close(); // fails the connect future: the connect listener handles it as a failed connect
            }
        }
        if (head != null) {
            schedule(head.connectDeadline - now);
        }
    }

    private void schedule(long delayNanos) {
        scheduled = true;
        loop.schedule(this, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }
}
