package io.stickyring.membership.zk;

import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.MembershipException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A chat node's entry in membership: the ephemeral znode {@code /stickyring/<cluster>/members/<id>}
 * holding its {@link MemberPayload} JSON.
 *
 * <p>Invariants:
 * <ul>
 *   <li>At most one live process holds an id: {@link #start()} refuses (with
 *       {@link MemberConflictException} naming the id and the other address) when the znode belongs
 *       to another instance and does not disappear within {@code conflictWait} (a crashed previous
 *       process's znode vanishes when its session expires, so a restart after a crash succeeds).</li>
 *   <li>While STARTED the znode exists whenever the session does: after a session loss the node
 *       re-registers on RECONNECTED (or when it sees its znode deleted). A znode of this same
 *       instance left from an earlier session is replaced atomically (delete + create in one
 *       transaction), so watchers never see the member leave.</li>
 *   <li>State changes are made in place (setData): ACTIVE -> DRAINING is one change, never a leave
 *       and join. A state or weight set from outside ({@link ZkMembershipAdmin}) is adopted: re-registering
 *       never flips it back; only {@link #setState} of this node does.</li>
 *   <li>Lifecycle LATENT -> STARTED -> STOPPED, CAS-guarded as in curator-x-discovery's
 *       ServiceDiscoveryImpl; close deletes the znode (only if it is still this instance's).</li>
 * </ul>
 */
public final class ZkMemberRegistration implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ZkMemberRegistration.class);
    private static final int MAX_CAS_ATTEMPTS = 10;

    private enum State { LATENT, STARTED, STOPPED }

    private final CuratorFramework client;
    private final boolean ownsClient;
    private final String cluster;
    private final String path;
    private final String instanceId = UUID.randomUUID().toString();
    private final Duration conflictWait;
    /** For a registration owning its client: how long {@link #start()} waits for a first connection; else null. */
    private final Duration connectWait;
    private final String connectString;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final ExecutorService executor;
    private final CuratorCache ownNode;
    private final ConnectionStateListener connectionListener = (c, newState) -> onConnectionStateChanged(newState);
    private final Object lock = new Object();

    private final AtomicLong reRegistrations = new AtomicLong();
    private final AtomicLong conflicts = new AtomicLong();

    // Guarded by lock.
    private MemberPayload payload;
    private MemberState pendingState;
    private volatile boolean registered;

    /**
     * Registers {@code member} in {@code cluster} through a client the caller started and will close
     * after this registration.
     *
     * @param conflictWait how long {@link #start()} waits for another instance's znode with the
     *                     same id to disappear before refusing; use about the session timeout
     */
    public ZkMemberRegistration(CuratorFramework client, String cluster, Member member, Duration conflictWait) {
        this(client, false, cluster, member, conflictWait, null, null);
    }

    private ZkMemberRegistration(CuratorFramework client, boolean ownsClient, String cluster, Member member, Duration conflictWait,
                                 Duration connectWait, String connectString) {
        this.client = Objects.requireNonNull(client, "client");
        this.ownsClient = ownsClient;
        this.connectWait = connectWait;
        this.connectString = connectString;
        this.cluster = ZkSettings.validateCluster(cluster);
        Objects.requireNonNull(member, "member");
        this.path = ZkSettings.memberPath(cluster, member.id());
        this.conflictWait = Objects.requireNonNull(conflictWait, "conflictWait");
        if (conflictWait.isNegative()) {
            throw new IllegalArgumentException("conflictWait (" + conflictWait.toMillis() + " ms) must be >= 0");
        }
        this.payload = new MemberPayload(member, instanceId);
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "stickyring-zk-register-" + member.id());
            t.setDaemon(true);
            return t;
        });
        this.ownNode = CuratorCache.build(client, path, CuratorCache.Options.SINGLE_NODE_CACHE);
        this.ownNode.listenable().addListener(CuratorCacheListener.builder()
                .forCreatesAndChanges((oldData, data) -> submit(() -> onOwnNodeChanged(data)))
                .forDeletes(oldData -> submit(this::ensureRegistered))
                .afterInitialized()
                .build());
    }

    /**
     * A registration owning a new client built from {@code settings}; it waits 1.5 session
     * timeouts for a crashed predecessor's znode to expire before refusing to start, and one
     * session timeout for a first connection before saying ZooKeeper is unreachable.
     */
    public static ZkMemberRegistration create(ZkSettings settings, Member member) {
        Duration wait = settings.sessionTimeout().plus(settings.sessionTimeout().dividedBy(2));
        return new ZkMemberRegistration(settings.newClient(), true, settings.cluster(), member, wait,
                settings.sessionTimeout(), settings.connectString());
    }

    /**
     * Creates the znode, waiting up to {@code conflictWait} for another instance's znode to go away.
     *
     * @throws MemberConflictException if another live process holds the id
     * @throws MembershipException     if ZooKeeper cannot be reached
     */
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("registration of member '" + id() + "' cannot start in state " + state.get());
        }
        try {
            if (ownsClient) {
                client.start();
                // Without this, the first create retries until the retry policy gives up (~50 s) and
                // Curator logs its session warnings on the way: one line, after one session timeout.
                if (!client.blockUntilConnected(Math.toIntExact(connectWait.toMillis()), TimeUnit.MILLISECONDS)) {
                    throw new MembershipException("ZooKeeper " + connectString + " unreachable: no connection within "
                            + connectWait.toMillis() + " ms (the session timeout); member '" + id() + "' not registered");
                }
            }
            ensureParent();
            synchronized (lock) {
                registerAtStart(System.nanoTime() + conflictWait.toNanos());
                pendingState = null;
                registered = true;
            }
            client.getConnectionStateListenable().addListener(connectionListener);
            ownNode.start();
            LOG.info("registered member '{}' at {} as {} (instance {})", id(), member().address(), path, instanceId);
        } catch (RuntimeException e) {
            close();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new MembershipException("interrupted while registering member '" + id() + "'", e);
        } catch (Exception e) {
            close();
            throw new MembershipException("cannot register member '" + id() + "' at " + path + ": " + e, e);
        }
    }

    /**
     * Publishes {@code newState} for this member in place. If ZooKeeper is unreachable the change is
     * kept and written when the session is back.
     *
     * @return true if it was written now
     */
    public boolean setState(MemberState newState) {
        Objects.requireNonNull(newState, "state");
        synchronized (lock) {
            payload = withState(payload, newState);
            pendingState = newState;
            if (state.get() != State.STARTED) {
                return false;
            }
            try {
                writeState(newState);
                pendingState = null;
                LOG.info("member '{}' state set to {}", id(), newState);
                return true;
            } catch (MemberConflictException e) {
                throw e;
            } catch (Exception e) {
                LOG.warn("could not write state {} of member '{}' now ({}); it is written on reconnect", newState, id(), e.toString());
                return false;
            }
        }
    }

    /** Deletes the znode if it is still this instance's, then releases threads (reverse order of start). */
    @Override
    public void close() {
        State previous = state.getAndSet(State.STOPPED);
        if (previous == State.STOPPED) {
            return;
        }
        if (previous == State.STARTED) {
            client.getConnectionStateListenable().removeListener(connectionListener);
            ownNode.close();
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (previous == State.STARTED && registered) {
            synchronized (lock) {
                deleteIfMine();
                registered = false;
            }
        }
        if (ownsClient && previous == State.STARTED) {
            client.close();
        }
    }

    public String id() {
        return payload().member().id();
    }

    /** The znode path, {@code /stickyring/<cluster>/members/<id>}. */
    public String path() {
        return path;
    }

    /** Random id of this registration, stored in the payload's {@code instance} field. */
    public String instanceId() {
        return instanceId;
    }

    /** The member as this node last published or adopted it (state included). */
    public Member member() {
        return payload().member();
    }

    /** True while this instance's znode is believed to exist. */
    public boolean isRegistered() {
        return registered;
    }

    /** Times the znode was re-created after a session loss or deletion. */
    public long reRegistrations() {
        return reRegistrations.get();
    }

    /** Times a re-registration found another instance holding the id. */
    public long conflicts() {
        return conflicts.get();
    }

    private MemberPayload payload() {
        synchronized (lock) {
            return payload;
        }
    }

    private void ensureParent() throws Exception {
        try {
            client.create().creatingParentsIfNeeded().forPath(ZkSettings.membersPath(cluster));
        } catch (KeeperException.NodeExistsException e) {
            // Another member created it first.
        }
    }

    private void registerAtStart(long deadlineNanos) throws Exception {
        while (true) {
            Stat stat = new Stat();
            byte[] data;
            try {
                data = client.getData().storingStatIn(stat).forPath(path);
            } catch (KeeperException.NoNodeException e) {
                try {
                    client.create().withMode(CreateMode.EPHEMERAL).forPath(path, payload.encode());
                    return;
                } catch (KeeperException.NodeExistsException raced) {
                    continue;
                }
            }
            MemberPayload other = decodeOrNull(data);
            if (other != null && other.instance().equals(instanceId)) {
                replaceOwn(stat);
                return;
            }
            long remaining = deadlineNanos - System.nanoTime();
            if (remaining <= 0) {
                throw conflict(other, data, stat);
            }
            LOG.info("member id '{}' is held by {}; waiting up to {} ms for it to expire", id(), describe(other, data),
                    TimeUnit.NANOSECONDS.toMillis(remaining));
            CountDownLatch gone = new CountDownLatch(1);
            Stat again = client.checkExists().usingWatcher((CuratorWatcher) event -> gone.countDown()).forPath(path);
            if (again != null) {
                gone.await(remaining, TimeUnit.NANOSECONDS);
            }
        }
    }

    private MemberConflictException conflict(MemberPayload other, byte[] data, Stat stat) {
        String address = other != null ? other.member().address() : describe(null, data);
        String started = other != null && other.member().startedAtMillis() > 0
                ? ", started " + Instant.ofEpochMilli(other.member().startedAtMillis()) : "";
        String instance = other != null && !other.instance().isEmpty() ? ", instance " + other.instance() : "";
        String owner = stat.getEphemeralOwner() == 0 ? "a persistent znode" : "session 0x" + Long.toHexString(stat.getEphemeralOwner());
        return new MemberConflictException(id(), address, "member id '" + id() + "' is already registered by another live process at "
                + address + " (" + owner + instance + started + ", znode " + path + "); stop that process or choose another id"
                + " (waited " + conflictWait.toMillis() + " ms for it to go away)");
    }

    private static String describe(MemberPayload other, byte[] data) {
        if (other != null) {
            return other.member().address();
        }
        return "an unreadable payload (" + (data == null ? 0 : data.length) + " bytes)";
    }

    private static MemberPayload decodeOrNull(byte[] data) {
        try {
            MemberPayload decoded = MemberPayload.decode(nameOf(data), data);
            return decoded;
        } catch (MemberPayload.BadPayloadException e) {
            return null;
        }
    }

    /** The id inside the payload, so decode's id check passes: this decodes other processes' payloads too. */
    private static String nameOf(byte[] data) {
        try {
            return MemberPayload.parseObject(data).path("id").asText("");
        } catch (MemberPayload.BadPayloadException e) {
            return "";
        }
    }

    /** Replaces this instance's znode of an earlier session in one transaction, keeping the stored state. */
    private void replaceOwn(Stat stat) throws Exception {
        client.transaction().forOperations(List.of(
                client.transactionOp().delete().withVersion(stat.getVersion()).forPath(path),
                client.transactionOp().create().withMode(CreateMode.EPHEMERAL).forPath(path, payload.encode())));
    }

    private void onConnectionStateChanged(ConnectionState newState) {
        if (newState == ConnectionState.RECONNECTED) {
            submit(this::ensureRegistered);
        } else if (newState == ConnectionState.LOST) {
            LOG.warn("ZooKeeper session of member '{}' lost; it re-registers when the connection is back", id());
        }
    }

    /** Tracks the stored state and weight so a drain or weight set by an operator survives a re-registration. */
    private void onOwnNodeChanged(ChildData data) {
        MemberPayload stored = decodeOrNull(data.getData());
        synchronized (lock) {
            if (stored != null && stored.instance().equals(instanceId) && pendingState == null
                    && stored.member().state() != payload.member().state()) {
                LOG.info("member '{}' state changed to {} from outside", id(), stored.member().state());
                payload = withState(payload, stored.member().state());
            }
            if (stored != null && stored.instance().equals(instanceId) && stored.member().weight() != payload.member().weight()) {
                LOG.info("member '{}' weight changed to {} from outside", id(), stored.member().weight());
                payload = new MemberPayload(payload.member().withWeight(stored.member().weight()), payload.instance());
            }
        }
    }

    private void ensureRegistered() {
        synchronized (lock) {
            if (state.get() != State.STARTED) {
                return;
            }
            try {
                for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
                    if (tryEnsureRegistered()) {
                        return;
                    }
                }
                LOG.warn("member '{}': gave up re-registering after {} concurrent modifications; retrying on next event", id(), MAX_CAS_ATTEMPTS);
            } catch (Exception e) {
                LOG.warn("member '{}' could not re-register now ({}); retrying on reconnect", id(), e.toString());
            }
        }
    }

    /** One optimistic attempt; false means a concurrent change raced it and it should run again. */
    private boolean tryEnsureRegistered() throws Exception {
        long mySession = client.getZookeeperClient().getZooKeeper().getSessionId();
        Stat stat = new Stat();
        byte[] data;
        try {
            data = client.getData().storingStatIn(stat).forPath(path);
        } catch (KeeperException.NoNodeException e) {
            try {
                client.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, payload.encode());
            } catch (KeeperException.NodeExistsException raced) {
                return false;
            }
            pendingState = null;
            registered = true;
            reRegistrations.incrementAndGet();
            LOG.info("member '{}' re-registered at {} ({})", id(), path, payload.member().state());
            return true;
        }
        MemberPayload stored = decodeOrNull(data);
        if (stored == null || !stored.instance().equals(instanceId)) {
            registered = false;
            conflicts.incrementAndGet();
            LOG.error("member id '{}' is now held by another process at {}; this node is not in membership until it goes away",
                    id(), describe(stored, data));
            return true;
        }
        MemberState wanted = pendingState != null ? pendingState : stored.member().state();
        payload = withState(payload, wanted);
        try {
            if (stat.getEphemeralOwner() == mySession) {
                if (wanted != stored.member().state()) {
                    client.setData().withVersion(stat.getVersion()).forPath(path, payload.encode());
                }
            } else {
                replaceOwn(stat);
                reRegistrations.incrementAndGet();
                LOG.info("member '{}' re-registered at {} in a new session ({})", id(), path, wanted);
            }
        } catch (KeeperException.BadVersionException | KeeperException.NoNodeException | KeeperException.NodeExistsException raced) {
            return false;
        }
        pendingState = null;
        registered = true;
        return true;
    }

    private void writeState(MemberState newState) throws Exception {
        for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
            Stat stat = new Stat();
            byte[] data;
            try {
                data = client.getData().storingStatIn(stat).forPath(path);
            } catch (KeeperException.NoNodeException e) {
                // Session lost and znode gone: the re-registration writes the new state.
                throw new MembershipException("znode " + path + " of member '" + id() + "' is missing (session lost?)");
            }
            MemberPayload stored = decodeOrNull(data);
            if (stored == null || !stored.instance().equals(instanceId)) {
                throw conflict(stored, data, stat);
            }
            if (stored.member().state() == newState) {
                return;
            }
            try {
                client.setData().withVersion(stat.getVersion()).forPath(path, payload.encode());
                return;
            } catch (KeeperException.BadVersionException raced) {
                // An operator changed the znode at the same moment; this node's own request wins.
            }
        }
        throw new MembershipException("could not set state of member '" + id() + "' after " + MAX_CAS_ATTEMPTS + " concurrent modifications");
    }

    private void deleteIfMine() {
        try {
            Stat stat = new Stat();
            byte[] data = client.getData().storingStatIn(stat).forPath(path);
            MemberPayload stored = decodeOrNull(data);
            if (stored != null && stored.instance().equals(instanceId)) {
                client.delete().withVersion(stat.getVersion()).forPath(path);
                LOG.info("member '{}' deregistered", id());
            }
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
            // Already gone or replaced: nothing of ours to delete.
        } catch (Exception e) {
            LOG.warn("member '{}' could not delete {} on close ({}); it expires with the session", id(), path, e.toString());
        }
    }

    private static MemberPayload withState(MemberPayload p, MemberState s) {
        return p.member().state() == s ? p : new MemberPayload(p.member().withState(s), p.instance());
    }

    private void submit(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            // Closed: late Curator callbacks are dropped on purpose.
        }
    }
}
