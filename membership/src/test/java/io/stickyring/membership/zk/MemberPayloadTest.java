package io.stickyring.membership.zk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MemberPayloadTest {

    private static final Member M = new Member("n1", "10.0.0.1", 9001, 3, MemberState.DRAINING, "eu-1", 1700000000000L, "0.1.0");

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void roundTrips() throws Exception {
        MemberPayload p = new MemberPayload(M, "inst-1");
        assertThat(MemberPayload.decode("n1", p.encode())).isEqualTo(p);
        assertThat(new String(p.encode(), StandardCharsets.UTF_8)).isEqualTo(
                "{\"id\":\"n1\",\"host\":\"10.0.0.1\",\"port\":9001,\"weight\":3,\"state\":\"DRAINING\",\"zone\":\"eu-1\","
                        + "\"startedAt\":1700000000000,\"version\":\"0.1.0\",\"instance\":\"inst-1\"}");
    }

    @Test
    void optionalFieldsDefaultAndUnknownFieldsAreIgnored() throws Exception {
        MemberPayload p = MemberPayload.decode("n1",
                json("{\"id\":\"n1\",\"host\":\"h\",\"port\":1,\"weight\":1,\"state\":\"ACTIVE\",\"future\":{\"x\":1}}"));
        assertThat(p.member()).isEqualTo(Member.of("n1", "h", 1));
        assertThat(p.instance()).isEmpty();
    }

    @Test
    void rejectsEveryBadShapeWithAReason() {
        assertBad("", "not JSON");
        assertBad("{oops", "not JSON");
        assertBad("[1]", "not a JSON object");
        assertBad("{\"host\":\"h\",\"port\":1,\"weight\":1,\"state\":\"ACTIVE\"}", "missing field 'id'");
        assertBad("{\"id\":\"other\",\"host\":\"h\",\"port\":1,\"weight\":1,\"state\":\"ACTIVE\"}", "id 'other' differs from the znode name 'n1'");
        assertBad("{\"id\":\"n1\",\"host\":\"h\",\"weight\":1,\"state\":\"ACTIVE\"}", "missing field 'port'");
        assertBad("{\"id\":\"n1\",\"host\":\"h\",\"port\":\"80\",\"weight\":1,\"state\":\"ACTIVE\"}", "field 'port' (\"80\") is not a 32-bit integer");
        assertBad("{\"id\":\"n1\",\"host\":\"h\",\"port\":0,\"weight\":1,\"state\":\"ACTIVE\"}", "port (0)");
        assertBad("{\"id\":\"n1\",\"host\":\"h\",\"port\":70000,\"weight\":1,\"state\":\"ACTIVE\"}", "port (70000)");
        assertBad("{\"id\":\"n1\",\"host\":\"h\",\"port\":1,\"weight\":-1,\"state\":\"ACTIVE\"}", "weight (-1)");
        assertBad("{\"id\":\"n1\",\"host\":\"h\",\"port\":1,\"weight\":0,\"state\":\"ACTIVE\"}", "weight (0)");
        assertBad("{\"id\":\"n1\",\"host\":\"h\",\"port\":1,\"weight\":1.5,\"state\":\"ACTIVE\"}", "field 'weight' (1.5)");
        assertBad("{\"id\":\"n1\",\"host\":\"h\",\"port\":1,\"weight\":1,\"state\":\"DOWN\"}", "state 'DOWN' is not ACTIVE, DRAINING or MAINT");
        assertBad("{\"id\":\"n1\",\"host\":\"\",\"port\":1,\"weight\":1,\"state\":\"ACTIVE\"}", "host of member 'n1' must not be empty");
        assertBad("{\"id\":\"n1\",\"host\":\"h\",\"port\":1,\"weight\":1,\"state\":\"ACTIVE\",\"zone\":7}", "field 'zone' (7) is not a string");
        assertThatThrownBy(() -> MemberPayload.decode("n1", new byte[MemberPayload.MAX_BYTES + 1]))
                .hasMessageContaining("payload of 16385 bytes exceeds the limit of 16384 bytes");
        assertThatThrownBy(() -> MemberPayload.decode("n1", null)).hasMessageContaining("no payload");
    }

    private static void assertBad(String payload, String reason) {
        assertThatThrownBy(() -> MemberPayload.decode("n1", json(payload)))
                .isInstanceOf(MemberPayload.BadPayloadException.class).hasMessageContaining(reason);
    }
}
