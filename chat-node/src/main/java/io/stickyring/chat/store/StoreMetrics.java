package io.stickyring.chat.store;

/** Callbacks a store reports into; the server binds them to Prometheus metrics. */
public interface StoreMetrics {
    StoreMetrics NOOP = new StoreMetrics() { };

    /** A commit of {@code batchSize} queued operations took {@code nanos} (including fsync). */
    default void committed(int batchSize, long nanos) { }

    /** A send was recognised as a resend of an already stored (sender, client id). */
    default void dedupHit() { }
}
