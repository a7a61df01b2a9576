package io.stickyring.chat.cluster;

import com.google.common.hash.Hashing;
import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.MembershipView;
import io.stickyring.membership.zk.ZkMembershipWatcher;
import io.stickyring.membership.zk.ZkSettings;
import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.Node;
import io.stickyring.ring.RingHash;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which writer owns a conversation: a {@link RingHash} over the ACTIVE writers that ZooKeeper lists
 * under {@code /stickyring/<cluster>-writers/members}, a path no load balancer watches. Each view
 * builds a new immutable ring published through one volatile field; a lookup reads it once. A
 * writer joining or leaving moves only its share of the conversations (the ring's property).
 *
 * <p>Ownership is a routing hint, not a lock: two edges with different views may send the same
 * conversation to two writers for a moment; the database's row locks and unique keys keep every
 * invariant, the cost is a lock wait.
 */
public final class WriterRing implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WriterRing.class);
    /** Writers register in this cluster: {@code <cluster>-writers}. */
    public static final String SUFFIX = "-writers";

    private final ZkMembershipWatcher watcher;
    private final CountDownLatch firstView = new CountDownLatch(1);
    private volatile ConsistentHash ring;

    public WriterRing(ZkSettings clientCluster) {
        this.watcher = ZkMembershipWatcher.create(writersOf(clientCluster));
        watcher.addListener(this::apply);
    }

    /** The settings of the writers' cluster that belongs to the clients' cluster of {@code settings}. */
    public static ZkSettings writersOf(ZkSettings settings) {
        return new ZkSettings(settings.connectString(), settings.cluster() + SUFFIX, settings.sessionTimeout(),
                settings.connectionTimeout(), settings.retryBaseSleep(), settings.retryMaxSleep(),
                settings.retryMaxAttempts(), settings.digestAuth());
    }

    public void start() {
        watcher.start();
    }

    /** Waits (bounded) for ZooKeeper's first list; returns whether it came. */
    public boolean awaitFirstView(long timeout, TimeUnit unit) throws InterruptedException {
        return firstView.await(timeout, unit);
    }

    private void apply(MembershipView view) {
        List<Node> nodes = new ArrayList<>();
        for (Member m : view.members()) {
            if (m.state() == MemberState.ACTIVE) {
                nodes.add(new Node(m.id(), m.weight()));
            }
        }
        ConsistentHash next = nodes.isEmpty() ? null : new RingHash(nodes);
        ring = next;
        firstView.countDown();
        log.info("writers: {}", nodes.stream().map(Node::id).toList());
    }

    /** The current ring, empty while no writer is listed. */
    public Optional<ConsistentHash> current() {
        return Optional.ofNullable(ring);
    }

    /** The ring key of a conversation: murmur3 of its id. */
    public static long key(String conv) {
        return Hashing.murmur3_128().hashString(conv, StandardCharsets.UTF_8).asLong();
    }

    @Override
    public void close() {
        watcher.close();
    }
}
