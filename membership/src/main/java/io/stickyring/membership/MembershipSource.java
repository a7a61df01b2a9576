package io.stickyring.membership;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Where an LB gets its member list from: ZooKeeper ({@code zk.ZkMembershipWatcher}) or a fixed
 * list ({@link StaticMembershipSource}).
 *
 * <p>Invariants every implementation keeps: nothing is published before the first complete load;
 * an outage never replaces the last view by an empty one (the view is kept and marked
 * {@linkplain MembershipView#stale() stale}); listeners are called one at a time, in publication
 * order, never concurrently with each other.
 *
 * <p>The source owns view order. Versions grow with every change, except after a data reset of the
 * store (ZooKeeper's zxids start again), when the source publishes the lower version on purpose:
 * availability wins. Consumers apply views in delivery order and never drop one for its version.
 *
 * <p>Lifecycle: LATENT -> {@link #start()} -> STARTED -> {@link #close()} -> STOPPED; start twice
 * is an error, close is idempotent.
 */
public interface MembershipSource extends AutoCloseable {

    /** Begins loading; returns without waiting for the first view. */
    void start();

    /** The last published view, or empty before the first complete load. */
    Optional<MembershipView> current();

    /**
     * Adds a listener for every published view. If a view is already published the listener also
     * receives it (possibly the same view twice in a race with a publication: listeners must be
     * idempotent per version).
     */
    void addListener(Consumer<MembershipView> listener);

    /** Removes a listener added before; unknown listeners are ignored. */
    void removeListener(Consumer<MembershipView> listener);

    /**
     * Distinct bad member payloads seen so far (left out of views), for the LB's metrics; 0 for
     * sources that cannot hold bad data.
     */
    default long badPayloads() {
        return 0L;
    }

    /** Members currently left out of the view because their data is bad: id -> reason. */
    default Map<String, String> badMembers() {
        return Map.of();
    }

    /** Stops watching and releases threads; the last view stays readable through {@link #current()}. */
    @Override
    void close();

    /**
     * Waits up to {@code timeout} for the first complete view.
     *
     * @return the view, or empty if none was published in time
     */
    default Optional<MembershipView> awaitFirstView(Duration timeout) throws InterruptedException {
        Optional<MembershipView> now = current();
        if (now.isPresent()) {
            return now;
        }
        CountDownLatch latch = new CountDownLatch(1);
        Consumer<MembershipView> listener = v -> latch.countDown();
        addListener(listener);
        try {
            latch.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return current();
        } finally {
            removeListener(listener);
        }
    }
}
