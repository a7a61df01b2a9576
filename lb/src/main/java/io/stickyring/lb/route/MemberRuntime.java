package io.stickyring.lb.route;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.stickyring.lb.metrics.LbMetrics;
import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One member's live state in this LB: its registration, local health ({@link MemberHealth}), open
 * connections and metric handles. It outlives routing snapshots (a new {@link RoutingTable} reuses
 * it) and dies when the member leaves the view.
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
    private volatile boolean closeOnDown = true;
    private final MemberHealth health = new MemberHealth();
    private final AtomicInteger active = new AtomicInteger();
    private final Set<TrackedConnection> connections = ConcurrentHashMap.newKeySet();

    // timers the router scheduled for this member's health (control thread, under the router's monitor)
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
        this.address = connectAddress(member.host(), member.port());
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
            address = connectAddress(m.host(), m.port());
        }
        member = m;
    }

    /**
     * The member's address, resolved, with its host text kept on the {@link InetAddress}. Netty's epoll
     * and io_uring channels rebuild the remote address after every connect from {@code
     * getHostString()} ({@code UnixChannelUtil.computeRemoteAddr}); for an address made from an IP
     * literal that call formats the IP anew each time, a String and its bytes that every member channel
     * then keeps (56 bytes live per connection, heap-per-conn.sh). With the text kept, every connection
     * shares this one String. An unresolvable name is returned unresolved (the connect fails and counts).
     */
    static InetSocketAddress connectAddress(String host, int port) {
        InetSocketAddress a = new InetSocketAddress(host, port);
        if (a.isUnresolved()) {
            return a;
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(host, a.getAddress().getAddress()), port);
        } catch (UnknownHostException e) {
            return a; // not reached: the byte array comes from a resolved address
        }
    }

    public boolean inView() {
        return inView;
    }

    void leaveView() {
        inView = false;
    }

    /** Healthy by this LB's judgement (a member in maintenance counts as up: it is not checked). */
    public boolean up() {
        return health.up();
    }

    public MemberHealth health() {
        return health;
    }

    void setCloseOnDown(boolean v) {
        closeOnDown = v;
    }

    public boolean draining() {
        return member.state() == MemberState.DRAINING;
    }

    public boolean maint() {
        return member.state() == MemberState.MAINT;
    }

    /** Takes new connections: published ACTIVE and healthy here. */
    public boolean ready() {
        return member.state() == MemberState.ACTIVE && health.up();
    }

    /** ACTIVE, DRAINING, MAINT or DOWN, as shown by the admin API (MAINT is never shown as DOWN). */
    public String displayState() {
        return member.state() == MemberState.MAINT || health.up() ? member.state().name() : "DOWN";
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
        return inView && (health.up() || !closeOnDown);
    }

    public void unregister(TrackedConnection c) {
        if (connections.remove(c)) {
            active.decrementAndGet();
            activeGauge.dec();
        }
    }

    /** Records a successful connect (resets the passive failure streak). */
    public void connectSucceeded() {
        health.connectSucceeded();
    }

    @Override
    public String toString() {
        return id + "@" + member.address();
    }
}
