package io.stickyring.lb.route;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.stickyring.lb.metrics.LbMetrics;
import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One member's live state in this LB: its registration, local health, open connections and metric
 * handles. It outlives routing snapshots (a new {@link RoutingTable} reuses it) and dies when the
 * member leaves the view.
 *
 * <p>Invariant: a connection is either in {@link #connections()} or has been closed; {@link
 * #register} and the closing sweep in {@link Router} order their volatile accesses so that a
 * connection registering while its member goes away is closed by one side or the other.
 */
public final class MemberRuntime {

    private final String id;
    private volatile Member member;
    private volatile InetSocketAddress address;
    private volatile boolean inView = true;
    private volatile boolean up = true;
    private volatile boolean closeOnDown = true;
    /** System.nanoTime() when slow start began; 0 when not in slow start. */
    private volatile long slowStartBeginNanos;
    private final AtomicInteger active = new AtomicInteger();
    private final Set<TrackedConnection> connections = ConcurrentHashMap.newKeySet();
    final AtomicInteger consecutiveConnectFailures = new AtomicInteger();

    // control-thread state (health counters and timers)
    int checkSuccesses;
    int checkFailures;
    ScheduledFuture<?> drainTimer;
    ScheduledFuture<?> recoveryTimer;

    // metric handles, cached so the data path does no label lookups
    final GaugeDataPoint activeGauge;
    public final CounterDataPoint bytesToMember;
    public final CounterDataPoint bytesFromMember;
    public final CounterDataPoint connectFailures;

    MemberRuntime(Member member, LbMetrics metrics) {
        this.id = member.id();
        this.member = member;
        this.address = new InetSocketAddress(member.host(), member.port());
        this.activeGauge = metrics.memberActive.labelValues(id);
        this.bytesToMember = metrics.memberBytes.labelValues(id, "to_member");
        this.bytesFromMember = metrics.memberBytes.labelValues(id, "from_member");
        this.connectFailures = metrics.memberConnectFailures.labelValues(id);
    }

    public String id() {
        return id;
    }

    public Member member() {
        return member;
    }

    /** Resolved once per view change so the data path never does DNS. */
    public InetSocketAddress address() {
        return address;
    }

    void update(Member m) {
        if (!m.host().equals(member.host()) || m.port() != member.port()) {
            address = new InetSocketAddress(m.host(), m.port());
        }
        member = m;
    }

    public boolean inView() {
        return inView;
    }

    void leaveView() {
        inView = false;
    }

    public boolean up() {
        return up;
    }

    void setUp(boolean v) {
        up = v;
    }

    void setCloseOnDown(boolean v) {
        closeOnDown = v;
    }

    public boolean draining() {
        return member.state() == MemberState.DRAINING;
    }

    /** ACTIVE, DRAINING or DOWN, as shown by the admin API. */
    public String displayState() {
        return !up ? "DOWN" : member.state().name();
    }

    long slowStartBeginNanos() {
        return slowStartBeginNanos;
    }

    void setSlowStartBeginNanos(long v) {
        slowStartBeginNanos = v;
    }

    public int activeConnections() {
        return active.get();
    }

    public Set<TrackedConnection> connections() {
        return connections;
    }

    /**
     * Adds a freshly connected connection. Returns false when the member went away (left the view,
     * or is down with close-on-down) meanwhile: the caller must then close the connection itself.
     */
    public boolean register(TrackedConnection c) {
        connections.add(c);
        active.incrementAndGet();
        activeGauge.inc();
        return inView && (up || !closeOnDown);
    }

    public void unregister(TrackedConnection c) {
        if (connections.remove(c)) {
            active.decrementAndGet();
            activeGauge.dec();
        }
    }

    /** Records a successful connect (resets the passive failure streak). */
    public void connectSucceeded() {
        if (consecutiveConnectFailures.get() != 0) {
            consecutiveConnectFailures.set(0);
        }
    }

    @Override
    public String toString() {
        return id + "@" + member.address();
    }
}
