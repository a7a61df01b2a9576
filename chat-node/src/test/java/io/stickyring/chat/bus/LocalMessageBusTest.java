package io.stickyring.chat.bus;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.chat.model.StoredMessage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalMessageBusTest extends MessageBusContract {
    @Override
    protected MessageBus open() {
        return new LocalMessageBus();
    }

    @Test
    void publishHandsTheEventToTheSinkOnThePublishingThreadAndClosingStopsIt() {
        LocalMessageBus local = new LocalMessageBus();
        bus = local;
        List<String> threads = new ArrayList<>();
        local.deliverTo(e -> threads.add(Thread.currentThread().getName()));
        BusEvent e = new BusEvent.Delivery("bob", 1, new StoredMessage("dm:a:b", 1, "id1", "a", "body", 1L));
        local.publish(e);
        assertThat(threads).containsExactly(Thread.currentThread().getName());
        local.close();
        local.publish(e);
        assertThat(threads).hasSize(1);
    }
}
