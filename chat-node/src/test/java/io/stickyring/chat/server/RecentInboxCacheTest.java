package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.chat.model.InboxEntry;
import io.stickyring.chat.model.StoredMessage;
import org.junit.jupiter.api.Test;

class RecentInboxCacheTest {
    static StoredMessage m(long seq) {
        return new StoredMessage("dm:a:b", seq, "id" + seq, "a", "b", seq);
    }

    @Test
    void servesOnlyContiguousRunsStartingRightAfterTheCursor() {
        RecentInboxCache c = new RecentInboxCache(10, 4);
        for (long i = 1; i <= 6; i++) {
            if (i != 5) {
                c.add("bob", i, m(i));
            }
        }
        // Kept: 2, 3, 4, 6 (4 per user); 5 is missing.
        assertThat(c.read("bob", 0, 10)).isEmpty();
        assertThat(c.read("bob", 1, 10).orElseThrow()).extracting(InboxEntry::cursor).containsExactly(2L, 3L, 4L);
        assertThat(c.read("bob", 1, 2).orElseThrow()).extracting(InboxEntry::cursor).containsExactly(2L, 3L);
        assertThat(c.read("bob", 4, 10)).isEmpty();
        assertThat(c.read("bob", 5, 10).orElseThrow()).extracting(InboxEntry::cursor).containsExactly(6L);
        assertThat(c.read("carol", 0, 10)).isEmpty();
    }

    @Test
    void boundedInUsers() {
        RecentInboxCache c = new RecentInboxCache(2, 4);
        c.add("u1", 1, m(1));
        c.add("u2", 1, m(1));
        c.add("u3", 1, m(1));
        int present = 0;
        for (String u : new String[] {"u1", "u2", "u3"}) {
            present += c.read(u, 0, 1).isPresent() ? 1 : 0;
        }
        assertThat(present).isLessThanOrEqualTo(2);
    }
}
