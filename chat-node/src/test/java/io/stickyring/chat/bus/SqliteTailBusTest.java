package io.stickyring.chat.bus;

import static io.stickyring.chat.bus.BusSubscriptions.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stickyring.chat.model.Conversations;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.store.SqliteMessageStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bus contract on the SQLite tail bus, plus: messages committed by another writer of the file are delivered. */
class SqliteTailBusTest extends MessageBusContract {
    @TempDir
    Path dir;
    SqliteMessageStore store;

    @Override
    protected MessageBus open() {
        store = new SqliteMessageStore(SqliteMessageStore.Config.defaults(dir.resolve("chat.db")));
        return new SqliteTailBus(store, Duration.ofMillis(20));
    }

    @AfterEach
    void closeStore() {
        if (bus != null) {
            bus.close();
            bus = null;
        }
        if (store != null) {
            store.close();
        }
    }

    @Test
    void commitsOfAnotherWriterReachLocalSubscribersButOlderOnesDoNot() throws Exception {
        String dm = Conversations.dmId("alice", "bob");
        try (SqliteMessageStore before = new SqliteMessageStore(SqliteMessageStore.Config.defaults(dir.resolve("chat.db")))) {
            before.append(new SendRequest("alice", "old", dm, "before the bus")).join();
        }
        bus = open();
        List<BusEvent> got = new CopyOnWriteArrayList<>();
        subscribe(bus, "bob", got::add);
        try (SqliteMessageStore otherProcess = new SqliteMessageStore(SqliteMessageStore.Config.defaults(dir.resolve("chat.db")))) {
            otherProcess.append(new SendRequest("alice", "new", dm, "from elsewhere")).join();
            await().atMost(Duration.ofSeconds(10)).until(() -> !got.isEmpty());
        }
        BusEvent.Delivery d = (BusEvent.Delivery) got.get(0);
        assertThat(d.message().id()).isEqualTo("new");
        assertThat(d.cursor()).isEqualTo(2);
        assertThat(got).hasSize(1);
    }
}
