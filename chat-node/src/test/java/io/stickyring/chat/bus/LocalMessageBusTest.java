package io.stickyring.chat.bus;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LocalMessageBusTest extends MessageBusContract {
    @Override
    protected MessageBus open() {
        return new LocalMessageBus();
    }

    @Test
    void lastUnsubscribeForgetsTheUser() {
        LocalMessageBus local = new LocalMessageBus();
        bus = local;
        MessageBus.Subscription s = local.subscribe("bob", e -> { });
        assertThat(local.subscribedUsers()).isEqualTo(1);
        s.close();
        assertThat(local.subscribedUsers()).isZero();
    }
}
