package io.stickyring.chat.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stickyring.chat.model.StoredMessage;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The binary batch frame of bus events: every kind round-trips in order; bad frames are named. */
class BusEventsTest {
    private final List<BusEvent> events = List.of(
            new BusEvent.Delivery("bob", 7, new StoredMessage("dm:alice:bob", 3, "m-1", "alice", "héllo\nwörld", 1_700_000_000_123L)),
            new BusEvent.Receipt("alice", "g:42", "bob", 9),
            new BusEvent.Typing("carol", "g:42", "dave"),
            new BusEvent.Delivery("a.b@c", Long.MAX_VALUE, new StoredMessage("g:1", 1, "", "x", "", 0)));

    @Test
    void batchRoundTripsEveryKindInOrder() {
        assertThat(BusEvents.decodeBatch(BusEvents.encodeBatch(events))).containsExactlyElementsOf(events);
        assertThat(BusEvents.decodeBatch(BusEvents.encodeBatch(List.of()))).isEmpty();
    }

    @Test
    void batchIsSmallerThanTheJsonOfItsEvents() {
        int json = events.stream().mapToInt(e -> BusEvents.encode(e).length).sum();
        assertThat(BusEvents.encodeBatch(events).length).isLessThan(json);
    }

    @Test
    void badFramesAreNamed() {
        byte[] frame = BusEvents.encodeBatch(events);
        assertThatThrownBy(() -> BusEvents.decodeBatch(Arrays.copyOf(frame, frame.length - 3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
        byte[] version = frame.clone();
        version[0] = '{';
        assertThatThrownBy(() -> BusEvents.decodeBatch(version)).hasMessageContaining("bus batch version (123)");
        byte[] longer = Arrays.copyOf(frame, frame.length + 1);
        assertThatThrownBy(() -> BusEvents.decodeBatch(longer)).hasMessageContaining("1 bytes after its 4 events");
        byte[] kind = BusEvents.encodeBatch(List.of(new BusEvent.Typing("u", "c", "f")));
        kind[5] = 'z';
        assertThatThrownBy(() -> BusEvents.decodeBatch(kind)).hasMessageContaining("event kind (122)");
    }
}
