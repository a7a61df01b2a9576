package io.stickyring.chat.bus;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.stickyring.chat.model.StoredMessage;

/**
 * What the bus carries to the node(s) holding a user's sessions. Every event names its target
 * {@link #user()}; a bus routes by that user only. Events are hints: a lost {@link Delivery} is
 * healed by the recipient's cursor (the session sees the gap and reads the store), and a bus that
 * knows it may have lost some says so with a {@link Resync}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "k")
@JsonSubTypes({
    @JsonSubTypes.Type(value = BusEvent.Delivery.class, name = "d"),
    @JsonSubTypes.Type(value = BusEvent.Receipt.class, name = "r"),
    @JsonSubTypes.Type(value = BusEvent.Typing.class, name = "t"),
})
public sealed interface BusEvent {
    String user();

    /** A stored message at inbox position {@code cursor} of {@code user}. */
    record Delivery(String user, long cursor, StoredMessage message) implements BusEvent { }

    /** {@code reader} has read {@code conv} up to {@code seq}; sent to the other members. */
    record Receipt(String user, String conv, String reader, long seq) implements BusEvent { }

    /** {@code from} is typing in {@code conv}; ephemeral, never stored. */
    record Typing(String user, String conv, String from) implements BusEvent { }

    /**
     * Never published, never sent between nodes: a bus's hint to its own sink that pushes for
     * {@code user} may have been lost (its connection was down, or a subscription was just made).
     * Each of the user's sessions checks the store as it heals any gap (the server's
     * {@code DeliveryCursor}) and runs {@code healed} when it found messages there.
     */
    record Resync(String user, Runnable healed) implements BusEvent { }
}
