package io.stickyring.chat.bus;

import io.stickyring.chat.model.InboxFeed;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process bus plus a tail of the shared SQLite file: for several node processes on one
 * machine sharing one database ({@code --bus sqlite}). Every {@code interval} it reads the inbox
 * entries committed since the last poll (by any process) from the store's {@link InboxFeed} and
 * publishes them as deliveries to this
 * process's sink (the node's session registry). Deliveries this process published itself arrive a second time and are
 * dropped by the sessions' cursor check; a user with no session here costs nothing.
 * Cross-process latency is about one interval; within a process, pushes are immediate.
 */
public final class SqliteTailBus implements MessageBus {
    private static final Logger log = LoggerFactory.getLogger(SqliteTailBus.class);
    private static final int BATCH = 1000;

    private final LocalMessageBus local = new LocalMessageBus();
    private final InboxFeed feed;
    private final long intervalMillis;
    private final Thread poller;
    private volatile boolean closed;
    private long position;

    public SqliteTailBus(InboxFeed feed, Duration interval) {
        this.feed = feed;
        this.intervalMillis = interval.toMillis();
        if (intervalMillis < 1) {
            throw new IllegalArgumentException("tail interval (" + interval + ") must be >= 1 ms");
        }
        this.position = feed.inboxTailPosition();
        this.poller = new Thread(this::pollLoop, "sqlite-tail-bus");
        poller.setDaemon(true);
        poller.start();
    }

    private void pollLoop() {
        while (!closed) {
            int n = 0;
            try {
                List<InboxFeed.Entry> rows = feed.inboxAfter(position, BATCH);
                for (InboxFeed.Entry r : rows) {
                    local.publish(new BusEvent.Delivery(r.user(), r.cursor(), r.message()));
                    position = r.position();
                }
                n = rows.size();
            } catch (RuntimeException e) {
                // The store could not be read (locked, closing): the next poll tries again from the same position.
                log.debug("tail poll failed: {}", e.toString());
            }
            if (n < BATCH) {
                try {
                    Thread.sleep(intervalMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    @Override
    public void deliverTo(Consumer<BusEvent> sink) {
        local.deliverTo(sink);
    }

    @Override
    public Subscription interest(String user) {
        return local.interest(user);
    }

    @Override
    public void publish(BusEvent event) {
        local.publish(event);
    }

    @Override
    public void close() {
        closed = true;
        poller.interrupt();
        try {
            poller.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        local.close();
    }
}
