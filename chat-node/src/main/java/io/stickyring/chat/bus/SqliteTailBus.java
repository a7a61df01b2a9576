package io.stickyring.chat.bus;

import io.stickyring.chat.store.SqliteMessageStore;
import io.stickyring.chat.store.StoreUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process bus plus a tail of the shared SQLite file: for several node processes on one
 * machine sharing one database ({@code --bus sqlite}). Every {@code interval} it reads the inbox
 * rows committed since the last poll (by any process) and publishes them as deliveries to this
 * process's sink (the node's session registry). Deliveries this process published itself arrive a second time and are
 * dropped by the sessions' cursor check; a user with no session here costs nothing.
 * Cross-process latency is about one interval; within a process, pushes are immediate.
 */
public final class SqliteTailBus implements MessageBus {
    private static final Logger log = LoggerFactory.getLogger(SqliteTailBus.class);
    private static final int BATCH = 1000;

    private final LocalMessageBus local = new LocalMessageBus();
    private final SqliteMessageStore store;
    private final long intervalMillis;
    private final Thread poller;
    private volatile boolean closed;
    private long position;

    public SqliteTailBus(SqliteMessageStore store, Duration interval) {
        this.store = store;
        this.intervalMillis = interval.toMillis();
        if (intervalMillis < 1) {
            throw new IllegalArgumentException("tail interval (" + interval + ") must be >= 1 ms");
        }
        this.position = store.inboxTailPosition();
        this.poller = new Thread(this::pollLoop, "sqlite-tail-bus");
        poller.setDaemon(true);
        poller.start();
    }

    private void pollLoop() {
        while (!closed) {
            int n = 0;
            try {
                List<SqliteMessageStore.TailEntry> rows = store.inboxAfter(position, BATCH);
                for (SqliteMessageStore.TailEntry r : rows) {
                    local.publish(new BusEvent.Delivery(r.user(), r.cursor(), r.message()));
                    position = r.rowid();
                }
                n = rows.size();
            } catch (StoreUnavailableException e) {
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
