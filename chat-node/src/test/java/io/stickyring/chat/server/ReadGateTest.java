package io.stickyring.chat.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.flow.FlowControlHandler;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The read gate alone: at most MAX_IN_FLIGHT requests handed on, the next one released by an answer; ping flood closes. */
class ReadGateTest {
    /** Frozen unless a test moves it: no ping token refills by accident. */
    private final AtomicLong clock = new AtomicLong();

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(new FlowControlHandler(), new ReadGate(new ChatMetrics(), 30_000, clock::get));
    }

    private static DefaultFullHttpRequest get(int i) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/r" + i);
    }

    @Test
    void holdsRequestsBeyondTheInFlightLimitUntilAnAnswerIsWritten() {
        EmbeddedChannel ch = channel();
        for (int i = 0; i < ReadGate.MAX_IN_FLIGHT + 2; i++) {
            ch.writeInbound(get(i));
        }
        assertThat(ch.inboundMessages()).hasSize(ReadGate.MAX_IN_FLIGHT);
        assertThat(ch.config().isAutoRead()).as("reading stopped").isFalse();
        // One answer leaves for the socket: exactly one more request is handed on.
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        assertThat(ch.inboundMessages()).hasSize(ReadGate.MAX_IN_FLIGHT + 1);
        assertThat(ch.config().isAutoRead()).isFalse();
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        assertThat(ch.inboundMessages()).hasSize(ReadGate.MAX_IN_FLIGHT + 2);
        assertThat(ch.config().isAutoRead()).as("under the limit again").isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void aPingFloodClosesTheConnection() {
        EmbeddedChannel ch = channel();
        for (int i = 0; i < ReadGate.PING_BURST; i++) {
            ch.writeInbound(new PingWebSocketFrame());
        }
        assertThat(ch.isOpen()).isTrue();
        // A second later 5 tokens are back; the sixth ping is one too many.
        clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
        for (int i = 0; i < 5; i++) {
            ch.writeInbound(new PingWebSocketFrame());
        }
        assertThat(ch.isOpen()).isTrue();
        ch.writeInbound(new PingWebSocketFrame());
        assertThat(ch.isOpen()).as("one ping over the burst").isFalse();
        assertThat(ch.inboundMessages()).hasSize(ReadGate.PING_BURST + 5);
        ch.finishAndReleaseAll();
    }
}
