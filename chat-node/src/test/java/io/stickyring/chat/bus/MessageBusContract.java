package io.stickyring.chat.bus;

import static io.stickyring.chat.bus.BusSubscriptions.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.chat.model.StoredMessage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link MessageBus} must show; an implementation's test extends this class.
 * Buses may deliver asynchronously, so assertions wait (bounded); "nothing arrives" is checked by
 * publishing a marker event afterwards and waiting for it (per-publisher order is part of the contract).
 */
@Timeout(60)
public abstract class MessageBusContract {
    protected MessageBus bus;

    /** A bus ready to use. */
    protected abstract MessageBus open() throws Exception;

    /**
     * A second handle on the same bus, as another node would hold it (cluster buses: a second
     * connection; the in-process bus: the same instance). Closed by the caller if different.
     */
    protected MessageBus openPeer() throws Exception {
        return bus;
    }

    @AfterEach
    void closeBus() {
        if (bus != null) {
            bus.close();
            BusSubscriptions.forget(bus);
        }
    }

    private static BusEvent.Delivery delivery(String user, long cursor) {
        return new BusEvent.Delivery(user, cursor, new StoredMessage("dm:a:b", cursor, "id" + cursor, "a", "body", 1L));
    }

    /** A test that runs against a second handle on the bus ({@link #openPeer}). */
    protected interface PeerTest {
        void run(MessageBus peer) throws Exception;
    }

    /** Opens the bus and a peer handle, runs {@code test}, closes the peer if it is a different handle. */
    protected final void withPeer(PeerTest test) throws Exception {
        bus = open();
        MessageBus peer = openPeer();
        try {
            test.run(peer);
        } finally {
            if (peer != bus) {
                peer.close();
                BusSubscriptions.forget(peer);
            }
        }
    }

    @Test
    void theBusHandsEventsToItsOneSinkWithoutPerUserSubscribers() throws Exception {
        withPeer(peer -> {
            List<BusEvent> sunk = new CopyOnWriteArrayList<>();
            peer.deliverTo(e -> {
                if (!(e instanceof BusEvent.Resync)) { // a bus's own hint, not a published event
                    sunk.add(e);
                }
            });
            MessageBus.Subscription interest = peer.interest("erin");
            MessageBus.Subscription again = peer.interest("erin");
            interest.close();
            bus.publishAll(List.of(delivery("erin", 1), delivery("erin", 2)));
            await().atMost(Duration.ofSeconds(10)).until(() -> sunk.size() >= 2);
            assertThat(sunk).containsExactly(delivery("erin", 1), delivery("erin", 2));
            again.close();
        });
    }

    @Test
    void subscriberGetsItsUsersEventsInOrder() throws Exception {
        bus = open();
        List<BusEvent> got = new CopyOnWriteArrayList<>();
        List<BusEvent> other = new CopyOnWriteArrayList<>();
        subscribe(bus, "bob", got::add);
        subscribe(bus, "carol", other::add);
        bus.publishAll(List.of(delivery("bob", 1), delivery("bob", 2),
                new BusEvent.Typing("bob", "dm:a:b", "a"), new BusEvent.Receipt("bob", "dm:a:b", "a", 2)));
        await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 4);
        assertThat(got).containsExactly(delivery("bob", 1), delivery("bob", 2),
                new BusEvent.Typing("bob", "dm:a:b", "a"), new BusEvent.Receipt("bob", "dm:a:b", "a", 2));
        assertThat(other).isEmpty();
    }

    @Test
    void everySubscriberOfAUserGetsTheEvent() throws Exception {
        bus = open();
        List<BusEvent> one = new CopyOnWriteArrayList<>();
        List<BusEvent> two = new CopyOnWriteArrayList<>();
        subscribe(bus, "bob", one::add);
        subscribe(bus, "bob", two::add);
        bus.publish(delivery("bob", 7));
        await().atMost(Duration.ofSeconds(10)).until(() -> one.size() == 1 && two.size() == 1);
    }

    @Test
    void closedSubscriptionStopsDelivery() throws Exception {
        bus = open();
        List<BusEvent> gone = new CopyOnWriteArrayList<>();
        List<BusEvent> stays = new CopyOnWriteArrayList<>();
        MessageBus.Subscription s = subscribe(bus, "bob", gone::add);
        subscribe(bus, "bob", stays::add);
        s.close();
        s.close();
        bus.publish(delivery("bob", 1));
        bus.publish(delivery("bob", 2));
        await().atMost(Duration.ofSeconds(10)).until(() -> stays.size() == 2);
        assertThat(gone).isEmpty();
    }

    @Test
    void anEventPublishedOnOneHandleReachesASubscriberOnAnother() throws Exception {
        withPeer(peer -> {
            List<BusEvent> got = new CopyOnWriteArrayList<>();
            subscribe(peer, "dave", got::add);
            bus.publish(delivery("dave", 42));
            await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 1);
            assertThat(got).containsExactly(delivery("dave", 42));
        });
    }

    @Test
    void eventsSurviveTheWireCodec() {
        for (BusEvent e : List.of(delivery("bob", 3), new BusEvent.Typing("u", "c", "f"), new BusEvent.Receipt("u", "c", "r", 9))) {
            assertThat(BusEvents.decode(BusEvents.encode(e))).isEqualTo(e);
        }
    }
}
