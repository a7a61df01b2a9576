package io.stickyring.membership.zk;

import io.stickyring.membership.Member;
import io.stickyring.membership.MembershipSource;
import io.stickyring.membership.MembershipView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches {@code /stickyring/<cluster>/members} through a Curator {@link CuratorCache} and
 * publishes an immutable {@link MembershipView} to listeners.
 *
 * <p>Invariants:
 * <ul>
 *   <li>Nothing is published before the cache's initial load, so the first view holds every member
 *       that existed at start, never a prefix of them.</li>
 *   <li>Every view is rebuilt from the full child list (idempotent): no incremental patching that
 *       could drift.</li>
 *   <li>{@code version} = max(parent pzxid, every child's mzxid): the zxid of the last
 *       transaction that created, deleted or rewrote a member znode. Every such transaction gets a
 *       larger zxid than all before it, so the version grows with each change, and it is a
 *       function of the znodes alone, so every caught-up watcher reports the same version for the
 *       same children. The parent's pzxid comes from a getChildren read whose child list must
 *       match the cache's, otherwise the rebuild waits for the cache's pending event.</li>
 *   <li>SUSPENDED or LOST keeps the last view and republishes it marked stale (never empty);
 *       RECONNECTED rebuilds from ZooKeeper and clears the mark. Only a member's own session
 *       expiry (its znode being deleted) removes it.</li>
 *   <li>A cache that stays behind ZooKeeper's child list for 2 s is reloaded: after a data reset
 *       CuratorCache would otherwise miss new children whenever the members node's child version
 *       equals the one it saw before the reset.</li>
 *   <li>A znode with a bad payload is left out, counted once per (path, mzxid) in
 *       {@link #badPayloads()} and logged once; it never stops the watcher.</li>
 * </ul>
 *
 * <p>Threads: Curator's threads only enqueue work; all rebuilds, publications and listener calls
 * run on one single-threaded executor, so listeners see views in order and never concurrently.
 * Modeled on curator-x-discovery's ServiceCacheImpl (LATENT/STARTED/STOPPED, rebuild on every
 * event, close in reverse order of start).
 */
public final class ZkMembershipWatcher implements MembershipSource {

    private static final Logger LOG = LoggerFactory.getLogger(ZkMembershipWatcher.class);
    private static final long MISMATCH_RETRY_MILLIS = 200;
    private static final long FAILURE_RETRY_MILLIS = 1000;
    /** Rebuilds in a row that found the cache behind ZooKeeper before the cache is reloaded (10 x 200 ms = 2 s). */
    private static final int MISMATCHES_BEFORE_RELOAD = 10;

    private enum State { LATENT, STARTED, STOPPED }

    private final CuratorFramework client;
    private final boolean ownsClient;
    private final String cluster;
    private final String membersPath;
    private final LongSupplier clock;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final ScheduledExecutorService executor;
    /** Replaced (under {@link #cacheLock}) only when it stays behind ZooKeeper; see {@link #reloadCache}. */
    private volatile CuratorCache cache;
    private final Object cacheLock = new Object();
    private final CopyOnWriteArrayList<Consumer<MembershipView>> listeners = new CopyOnWriteArrayList<>();
    private final ConnectionStateListener connectionListener = (c, newState) -> onConnectionStateChanged(newState);
    private final AtomicBoolean rebuildQueued = new AtomicBoolean();

    private final AtomicLong badPayloads = new AtomicLong();
    private final AtomicLong viewsPublished = new AtomicLong();
    private final AtomicLong rebuildFailures = new AtomicLong();

    // Confined to the executor thread.
    private boolean initialized;
    private long staleSinceMillis;
    private boolean retryScheduled;
    private int mismatches;
    private final Map<String, Long> reportedBadMzxid = new HashMap<>();

    private volatile MembershipView current;
    private volatile Map<String, String> badMembers = Map.of();

    /**
     * Watches {@code cluster} through a client the caller started and will close after this
     * watcher.
     */
    public ZkMembershipWatcher(CuratorFramework client, String cluster) {
        this(client, false, cluster, System::currentTimeMillis);
    }

    /** As {@link #ZkMembershipWatcher(CuratorFramework, String)} with an injected wall clock (stale-since times). */
    public ZkMembershipWatcher(CuratorFramework client, String cluster, LongSupplier clockMillis) {
        this(client, false, cluster, clockMillis);
    }

    private ZkMembershipWatcher(CuratorFramework client, boolean ownsClient, String cluster, LongSupplier clockMillis) {
        this.client = Objects.requireNonNull(client, "client");
        this.ownsClient = ownsClient;
        this.cluster = ZkSettings.validateCluster(cluster);
        this.membersPath = ZkSettings.membersPath(cluster);
        this.clock = Objects.requireNonNull(clockMillis, "clockMillis");
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stickyring-zk-watch-" + cluster);
            t.setDaemon(true);
            return t;
        });
        this.cache = newCache();
    }

    private CuratorCache newCache() {
        CuratorCache c = CuratorCache.build(client, membersPath);
        c.listenable().addListener(CuratorCacheListener.builder()
                .forAll((type, oldData, data) -> requestRebuild())
                .forInitialized(() -> submit(this::onInitialized))
                .build());
        return c;
    }

    /**
     * Replaces a cache that stayed behind ZooKeeper's child list. CuratorCache re-lists a node's
     * children only when the node's child version (cversion) changed, so after a data reset that
     * left the members node with the same cversion as before, it never learns the new children.
     * A fresh cache loads everything; its events trigger the next rebuild.
     */
    private void reloadCache() {
        synchronized (cacheLock) {
            if (state.get() != State.STARTED) {
                return;
            }
            LOG.warn("member cache of cluster '{}' stayed behind ZooKeeper's child list for {} ms (data reset?): reloading it",
                    cluster, MISMATCH_RETRY_MILLIS * MISMATCHES_BEFORE_RELOAD);
            cache.close();
            cache = newCache();
            cache.start();
        }
        mismatches = 0;
    }

    /** A watcher owning a new client built from {@code settings}: start() starts it, close() closes it. */
    public static ZkMembershipWatcher create(ZkSettings settings) {
        return new ZkMembershipWatcher(settings.newClient(), true, settings.cluster(), System::currentTimeMillis);
    }

    @Override
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("ZooKeeper membership watcher for cluster '" + cluster + "' cannot start in state " + state.get());
        }
        if (ownsClient) {
            client.start();
        }
        client.getConnectionStateListenable().addListener(connectionListener);
        cache.start();
        LOG.info("watching {} for cluster '{}'", membersPath, cluster);
    }

    @Override
    public Optional<MembershipView> current() {
        return Optional.ofNullable(current);
    }

    @Override
    public void addListener(Consumer<MembershipView> listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        submit(() -> {
            MembershipView view = current;
            if (view != null && listeners.contains(listener)) {
                deliver(listener, view);
            }
        });
    }

    @Override
    public void removeListener(Consumer<MembershipView> listener) {
        listeners.remove(listener);
    }

    /** Reverse order of start: connection listener, cache, executor, then the client if owned. */
    @Override
    public void close() {
        State previous = state.getAndSet(State.STOPPED);
        if (previous == State.STOPPED) {
            return;
        }
        if (previous == State.STARTED) {
            client.getConnectionStateListenable().removeListener(connectionListener);
            synchronized (cacheLock) {
                cache.close();
            }
        }
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("membership watcher thread for cluster '{}' did not stop within 5 s", cluster);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownsClient && previous == State.STARTED) {
            client.close();
        }
    }

    public String cluster() {
        return cluster;
    }

    /** Distinct bad payloads seen (one per znode path and mzxid), ever. */
    @Override
    public long badPayloads() {
        return badPayloads.get();
    }

    /** Views handed to listeners, including stale re-publications. */
    public long viewsPublished() {
        return viewsPublished.get();
    }

    /** Rebuilds that failed to read ZooKeeper (each is retried). */
    public long rebuildFailures() {
        return rebuildFailures.get();
    }

    /** Member znodes currently left out of the view: znode name -> reason. */
    @Override
    public Map<String, String> badMembers() {
        return badMembers;
    }

    private void onConnectionStateChanged(ConnectionState newState) {
        switch (newState) {
            case SUSPENDED, LOST -> {
                long now = clock.getAsLong();
                submit(() -> markStale(now, newState));
            }
            case RECONNECTED -> {
                LOG.info("ZooKeeper connection back for cluster '{}': resyncing the member view", cluster);
                requestRebuild();
            }
            default -> {
                // CONNECTED (first connect) is covered by the cache's initial load; READ_ONLY is not enabled.
            }
        }
    }

    private void markStale(long now, ConnectionState why) {
        if (staleSinceMillis == 0L) {
            staleSinceMillis = now == 0L ? 1L : now;
            LOG.warn("ZooKeeper connection {} for cluster '{}': keeping the last view, marked stale", why, cluster);
        }
        MembershipView view = current;
        if (view != null) {
            publish(view.markStale(staleSinceMillis));
        }
    }

    private void onInitialized() {
        if (!initialized) {
            initialized = true;
            startRebuild();
        }
    }

    private void requestRebuild() {
        if (rebuildQueued.compareAndSet(false, true)) {
            submit(this::startRebuild);
        }
    }

    /** Asks ZooKeeper for the child list and the parent's stat (for pzxid), asynchronously so outages never block this thread. */
    private void startRebuild() {
        rebuildQueued.set(false);
        if (!initialized || state.get() != State.STARTED) {
            return;
        }
        try {
            client.getChildren().inBackground((c, event) -> submit(() -> finishRebuild(event))).forPath(membersPath);
        } catch (Exception e) {
            rebuildFailed("getChildren " + membersPath + " failed to start: " + e);
        }
    }

    private void finishRebuild(CuratorEvent event) {
        if (state.get() != State.STARTED) {
            return;
        }
        KeeperException.Code code = KeeperException.Code.get(event.getResultCode());
        Set<String> names;
        long version;
        if (code == KeeperException.Code.OK) {
            names = new TreeSet<>(event.getChildren());
            Stat parent = event.getStat();
            version = parent == null ? 0L : parent.getPzxid();
        } else if (code == KeeperException.Code.NONODE) {
            names = new TreeSet<>();
            version = 0L;
        } else {
            rebuildFailed("getChildren " + membersPath + ": " + code);
            return;
        }

        Map<String, ChildData> cached = new TreeMap<>();
        cache.stream()
                .filter(cd -> !cd.getPath().equals(membersPath) && ZKPaths.getPathAndNode(cd.getPath()).getPath().equals(membersPath))
                .forEach(cd -> cached.put(ZKPaths.getNodeFromPath(cd.getPath()), cd));
        if (!cached.keySet().equals(names)) {
            // The cache has not applied every event yet; its pending event triggers another rebuild.
            LOG.debug("cache children {} differ from ZooKeeper children {}: waiting for the cache", cached.keySet(), names);
            if (++mismatches >= MISMATCHES_BEFORE_RELOAD) {
                reloadCache();
            }
            scheduleRetry(MISMATCH_RETRY_MILLIS);
            return;
        }
        mismatches = 0;

        List<Member> members = new ArrayList<>(cached.size());
        Map<String, String> bad = new TreeMap<>();
        Set<String> seenPaths = new HashSet<>();
        for (Map.Entry<String, ChildData> entry : cached.entrySet()) {
            ChildData child = entry.getValue();
            Stat stat = child.getStat();
            version = Math.max(version, stat.getMzxid());
            seenPaths.add(child.getPath());
            try {
                if (stat.getDataLength() > MemberPayload.MAX_BYTES) {
                    throw new MemberPayload.BadPayloadException("payload of " + stat.getDataLength()
                            + " bytes exceeds the limit of " + MemberPayload.MAX_BYTES + " bytes");
                }
                members.add(MemberPayload.decode(entry.getKey(), child.getData()).member());
                reportedBadMzxid.remove(child.getPath());
            } catch (MemberPayload.BadPayloadException e) {
                bad.put(entry.getKey(), e.getMessage());
                Long reported = reportedBadMzxid.put(child.getPath(), stat.getMzxid());
                if (reported == null || reported != stat.getMzxid()) {
                    badPayloads.incrementAndGet();
                    LOG.warn("leaving member znode {} (mzxid 0x{}) out of the view: {}", child.getPath(),
                            Long.toHexString(stat.getMzxid()), e.getMessage());
                }
            }
        }
        reportedBadMzxid.keySet().retainAll(seenPaths);
        badMembers = Map.copyOf(bad);

        if (staleSinceMillis != 0L && client.getZookeeperClient().isConnected()) {
            LOG.info("member view of cluster '{}' resynced after {} ms stale", cluster, Math.max(0, clock.getAsLong() - staleSinceMillis));
            staleSinceMillis = 0L;
        }
        publish(new MembershipView(version, members, staleSinceMillis));
    }

    private void rebuildFailed(String why) {
        rebuildFailures.incrementAndGet();
        if (!client.getZookeeperClient().isConnected()) {
            // Disconnected: RECONNECTED triggers the next rebuild; polling now would only add failures and log noise.
            LOG.debug("member view rebuild for cluster '{}' failed while disconnected ({}); waiting for reconnect", cluster, why);
            return;
        }
        LOG.debug("member view rebuild for cluster '{}' failed ({}); retrying in {} ms", cluster, why, FAILURE_RETRY_MILLIS);
        scheduleRetry(FAILURE_RETRY_MILLIS);
    }

    private void scheduleRetry(long delayMillis) {
        if (retryScheduled || state.get() != State.STARTED) {
            return;
        }
        retryScheduled = true;
        try {
            executor.schedule(() -> {
                retryScheduled = false;
                requestRebuild();
            }, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            retryScheduled = false;
        }
    }

    private void publish(MembershipView view) {
        MembershipView previous = current;
        if (view.equals(previous)) {
            return;
        }
        if (previous != null && view.version() < previous.version()) {
            // Only possible if the ensemble's data was wiped (zxids restart); availability wins over the invariant.
            LOG.warn("member view version of cluster '{}' went down from 0x{} to 0x{}: was ZooKeeper's data reset?", cluster,
                    Long.toHexString(previous.version()), Long.toHexString(view.version()));
        }
        current = view;
        viewsPublished.incrementAndGet();
        LOG.debug("publishing view 0x{} of cluster '{}': {} members{}", Long.toHexString(view.version()), cluster,
                view.members().size(), view.stale() ? " (stale)" : "");
        for (Consumer<MembershipView> listener : listeners) {
            deliver(listener, view);
        }
    }

    private void deliver(Consumer<MembershipView> listener, MembershipView view) {
        try {
            listener.accept(view);
        } catch (RuntimeException e) {
            LOG.error("membership listener {} failed on view 0x{} of cluster '{}'", listener, Long.toHexString(view.version()), cluster, e);
        }
    }

    private void submit(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            // Closed: late Curator callbacks are dropped on purpose.
        }
    }
}
