package io.stickyring.membership.zk;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's view of one ZooKeeper client's connection: one log line per change, naming the
 * address (unreachable, still unreachable once a minute, reachable again), instead of ZooKeeper's
 * own stack trace on every reconnect attempt (its ClientCnxn logger is kept at ERROR in the jar's
 * logback.xml).
 *
 * <p>Invariant: while the client is down, at most one line per {@link #REPEAT}; a client that never
 * connected is reported once {@code firstReport} (the connection timeout) has passed. Ends with the
 * client: the repeat timer cancels itself once the client is stopped.
 */
final class ZkConnectionLog implements ConnectionStateListener {

    static final Duration REPEAT = Duration.ofMinutes(1);
    private static final Logger LOG = LoggerFactory.getLogger(ZkConnectionLog.class);
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "stickyring-zk-connection-log");
        t.setDaemon(true);
        return t;
    });

    private final CuratorFramework client;
    private final String address;
    private final LongSupplier nanos;
    // Guarded by this.
    private boolean connected;
    private boolean everConnected;
    private long downSinceNanos;
    private boolean reportedDown;
    private ScheduledFuture<?> repeat;

    private ZkConnectionLog(CuratorFramework client, String address, LongSupplier nanos) {
        this.client = client;
        this.address = address;
        this.nanos = nanos;
    }

    /** Attaches a log to a new (not yet started) client of {@code address}. */
    static void attach(CuratorFramework client, String address, Duration firstReport) {
        attach(client, address, firstReport, REPEAT);
    }

    /** As {@link #attach(CuratorFramework, String, Duration)} with another repeat period (tests). */
    static void attach(CuratorFramework client, String address, Duration firstReport, Duration repeatEvery) {
        ZkConnectionLog log = new ZkConnectionLog(Objects.requireNonNull(client), address, System::nanoTime);
        client.getConnectionStateListenable().addListener(log);
        synchronized (log) {
            log.downSinceNanos = log.nanos.getAsLong();
            log.repeat = TIMER.scheduleAtFixedRate(log::tick, firstReport.toMillis(), repeatEvery.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public synchronized void stateChanged(CuratorFramework c, ConnectionState s) {
        switch (s) {
            case CONNECTED, RECONNECTED -> {
                if (reportedDown) {
                    LOG.info("ZooKeeper {} reachable again after {}s", address, seconds(nanos.getAsLong() - downSinceNanos));
                } else if (!everConnected) {
                    LOG.info("ZooKeeper {} connected", address);
                }
                connected = true;
                everConnected = true;
                reportedDown = false;
            }
            case SUSPENDED, LOST -> {
                if (connected) {
                    connected = false;
                    downSinceNanos = nanos.getAsLong();
                    reportedDown = true;
                    LOG.warn("ZooKeeper {} unreachable (connection {}); retrying, one line a minute while it stays down",
                            address, s.name().toLowerCase(java.util.Locale.ROOT));
                }
            }
            default -> {
                // READ_ONLY is not enabled
            }
        }
    }

    /** First report for a client that never connected, then once a minute while down. */
    private synchronized void tick() {
        if (client.getState() == CuratorFrameworkState.STOPPED) {
            repeat.cancel(false);
            return;
        }
        if (connected) {
            return;
        }
        long down = seconds(nanos.getAsLong() - downSinceNanos);
        if (!reportedDown) {
            reportedDown = true;
            LOG.warn("ZooKeeper {} unreachable: no connection after {}s; retrying, one line a minute while it stays down",
                    address, down);
        } else {
            LOG.warn("ZooKeeper {} still unreachable after {}s", address, down);
        }
    }

    private static long seconds(long nanos) {
        return TimeUnit.NANOSECONDS.toSeconds(nanos);
    }
}
