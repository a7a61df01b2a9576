package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Typed client frames: each type's label (the frames_in metric) and the shape checks. */
class ClientFrameTest {
    private static ClientFrame parse(String json) {
        var in = Frames.parseObject(json);
        return ClientFrame.parse(Frames.text(in, "t"), in);
    }

    @Test
    void knownTypesAreLabelledByNameAndTheRestAsUnknown() {
        for (String t : new String[] {"hello", "send", "sync", "read", "typing", "history", "leave", "ping"}) {
            assertThat(parse("{\"t\":\"" + t + "\",\"cursor\":1,\"conv\":\"c\",\"seq\":1}").label()).isEqualTo(t);
        }
        assertThat(parse("{\"t\":\"dance\"}").label()).isEqualTo("unknown");
        assertThat(parse("{\"t\":\"sync\"}").label()).as("a malformed sync still counts as a sync").isEqualTo("sync");
    }

    @Test
    void fieldsOfTheWrongShapeMakeAMalformedFrameWithTheMessageTheClientGets() {
        assertThat(parse("{\"t\":\"history\",\"conv\":\"c\",\"limit\":-1,\"ref\":\"r\"}")).isEqualTo(new ClientFrame.Malformed(
                "history", "history needs 'conv' and optional integers 'before', 'limit'", "r"));
        assertThat(parse("{\"t\":\"typing\"}")).isEqualTo(new ClientFrame.Malformed("typing", "typing needs 'conv'", null));
        assertThat(parse("{\"t\":\"history\",\"conv\":\"c\"}")).isEqualTo(new ClientFrame.History("c", 0, 50, null));
        assertThat(parse("{\"t\":\"hello\",\"token\":\"x\",\"cursor\":\"y\"}")).as("judged after the token")
                .isEqualTo(new ClientFrame.Hello("x", null));
    }
}
