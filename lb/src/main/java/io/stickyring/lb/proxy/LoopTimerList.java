package io.stickyring.lb.proxy;

import io.netty.channel.EventLoop;
import java.util.concurrent.TimeUnit;

/**
 * One deadline per connection, for all connections of one event loop, with the same delay for every
 * entry: the order in which entries are added is the order of their deadlines, so the list is a FIFO
 * threaded through the {@link ProxyConnection}s themselves (two references, a deadline and an owner
 * each), an entry leaves in O(1), and one task per loop is scheduled for the oldest deadline. Under a
 * steady stream of short connections that task runs about once per delay.
 *
 * <p>Used twice: {@link ConnectTimer} (while the member connect is in flight) and {@link KeepaliveArmer}
 * (after it completed). A connection is in at most one list at a time, so both share its link fields.
 *
 * <p>Invariant: touched only on {@link #loop}; {@code c.timerList == this} exactly while {@code c} is in
 * this list.
 */
abstract class LoopTimerList implements Runnable {

    private final EventLoop loop;
    private final long delayNanos;
    private ProxyConnection head;
    private ProxyConnection tail;
    private boolean scheduled;

    LoopTimerList(EventLoop loop, long delayNanos) {
        this.loop = loop;
        this.delayNanos = delayNanos;
    }

    final long delayNanos() {
        return delayNanos;
    }

    /** Starts {@code c}'s deadline now; {@code c} must not be in any list. */
    final void add(ProxyConnection c) {
        assert c.timerList == null;
        c.timerDeadline = System.nanoTime() + delayNanos;
        c.timerPrev = tail;
        c.timerNext = null;
        if (tail == null) {
            head = c;
        } else {
            tail.timerNext = c;
        }
        tail = c;
        c.timerList = this;
        if (!scheduled) {
            schedule(delayNanos);
        }
    }

    /** Takes {@code c} out of this list; a no-op if it is not in it. */
    final void remove(ProxyConnection c) {
        if (c.timerList != this) {
            return;
        }
        c.timerList = null;
        ProxyConnection p = c.timerPrev;
        ProxyConnection n = c.timerNext;
        if (p == null) {
            head = n;
        } else {
            p.timerNext = n;
        }
        if (n == null) {
            tail = p;
        } else {
            n.timerPrev = p;
        }
        c.timerPrev = null;
        c.timerNext = null;
    }

    /** Called on the loop for each connection whose deadline has passed, after it left the list. */
    abstract void expired(ProxyConnection c);

    /** Expires the connections past their deadline; re-arms for the oldest one left. */
    @Override
    public final void run() {
        scheduled = false;
        long now = System.nanoTime();
        for (ProxyConnection c = head; c != null && c.timerDeadline - now <= 0; c = head) {
            remove(c);
            expired(c);
        }
        if (head != null) {
            schedule(head.timerDeadline - now);
        }
    }

    private void schedule(long delay) {
        scheduled = true;
        loop.schedule(this, Math.max(0, delay), TimeUnit.NANOSECONDS);
    }
}
