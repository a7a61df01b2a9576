package io.stickyring.chat.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The append rules on an in-memory "store": what each send of a batch becomes, without SQL. The
 * stores' own behaviour under the same rules is {@code MessageStoreContract}'s subject.
 */
class AppendRulesTest {
    private static final String DM = Conversations.dmId("alice", "bob");
    private static final Conversation GROUP = new Conversation("g:1", Conversation.Kind.GROUP, "t", List.of("alice", "bob", "carol"));

    private final Map<String, StoredMessage> committed = new HashMap<>();
    private final Map<String, Long> heads = new HashMap<>();

    private final AppendRules.Lookup<RuntimeException> store = new AppendRules.Lookup<>() {
        @Override
        public Optional<StoredMessage> committed(String sender, String clientId) {
            return Optional.ofNullable(committed.get(sender + "/" + clientId));
        }

        @Override
        public Optional<Conversation> conversation(String id) {
            return id.equals(GROUP.id()) ? Optional.of(GROUP) : Conversations.parseDirect(id);
        }
    };

    private final AppendRules.Counters<RuntimeException> counters = new AppendRules.Counters<>() {
        @Override
        public long nextSeq(String conv) {
            return heads.merge("seq " + conv, 1L, Long::sum);
        }

        @Override
        public long nextCursor(String user) {
            return heads.merge("cursor " + user, 1L, Long::sum);
        }
    };

    private static SendRequest send(String from, String id, String conv) {
        return new SendRequest(from, id, conv, "body of " + id);
    }

    @Test
    void aFreshSendTakesTheNextSeqThenEachMembersNextCursor() {
        heads.put("seq g:1", 4L);
        heads.put("cursor bob", 10L);
        AppendRules rules = new AppendRules();
        AppendRules.Send s = rules.decide(send("carol", "c1", "g:1"), store);
        assertThat(s.fresh()).isTrue();
        assertThat(s.opensDirect()).isFalse();
        AppendResult r = rules.number(s, 77, counters);
        assertThat(r.duplicate()).isFalse();
        assertThat(r.ack()).isEqualTo(new Ack("c1", "g:1", 5, 77));
        assertThat(r.cursors()).isEqualTo(Map.of("alice", 1L, "bob", 11L, "carol", 1L));
        assertThat(s.result()).isSameAs(r);
    }

    @Test
    void aResendAnswersWithTheOriginalAckWhetherCommittedOrEarlierInTheBatch() {
        StoredMessage old = new StoredMessage(DM, 3, "a1", "alice", "first", 5);
        committed.put("alice/a1", old);
        AppendRules rules = new AppendRules();
        AppendRules.Send resend = rules.decide(send("alice", "a1", DM), store);
        assertThat(resend.duplicate()).isTrue();
        assertThat(resend.fresh()).isFalse();
        assertThat(resend.result()).isEqualTo(new AppendResult(Ack.of(old), true, old, Map.of()));

        AppendRules.Send first = rules.decide(send("alice", "a2", DM), store);
        AppendRules.Send again = rules.decide(send("alice", "a2", DM), store);
        assertThat(again.duplicate()).isTrue();
        assertThat(rules.fresh()).containsExactly(first);
        AppendResult r = rules.number(first, 9, counters);
        assertThat(again.result().ack()).isEqualTo(r.ack());
        assertThat(again.result().cursors()).as("nothing is delivered twice").isEmpty();
        // The same client id from another sender is another message.
        assertThat(rules.decide(send("bob", "a2", DM), store).fresh()).isTrue();
    }

    @Test
    void unknownConversationsAndNonMembersAreRefusedBeforeAnythingIsNumbered() {
        AppendRules rules = new AppendRules();
        assertThat(rules.decide(send("alice", "x", "g:nope"), store).rejection()).get()
                .extracting(RejectedException::code).isEqualTo("unknown_conversation");
        AppendRules.Send outsider = rules.decide(send("mallory", "y", DM), store);
        assertThat(outsider.rejection()).get().extracting(RejectedException::code).isEqualTo("not_member");
        assertThat(outsider.fresh()).isFalse();
        assertThat(outsider.opensDirect()).as("a refused send opens no direct conversation").isFalse();
        assertThat(rules.fresh()).isEmpty();
        assertThatThrownBy(() -> rules.number(outsider, 1, counters)).isInstanceOf(IllegalStateException.class);
        // The refused id is free: a later valid send with it is stored.
        assertThat(rules.decide(send("mallory", "y", Conversations.dmId("mallory", "bob")), store).fresh()).isTrue();
    }

    @Test
    void aDirectConversationIsOpenedByItsFirstMessageOfTheBatch() {
        AppendRules rules = new AppendRules();
        assertThat(rules.decide(send("alice", "1", DM), store).opensDirect()).isTrue();
        assertThat(rules.decide(send("bob", "2", DM), store).opensDirect()).isFalse();
        assertThat(rules.decide(send("alice", "3", "g:1"), store).opensDirect()).isFalse();
    }
}
