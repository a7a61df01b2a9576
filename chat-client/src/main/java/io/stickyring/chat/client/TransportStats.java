package io.stickyring.chat.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the clients of one {@link ClientRuntime} cost on the wire, counted where it happens: TCP
 * connections opened (each one a handshake), HTTP requests, polls and how many came back empty,
 * and the bytes every channel read and wrote (TCP payload, after TLS if any). The design's
 * argument (docs/benchmarks.md, "The design's argument, measured") is these counts per message.
 */
public final class TransportStats {
    final LongAdder connections = new LongAdder();
    final LongAdder connectAttempts = new LongAdder();
    final LongAdder httpRequests = new LongAdder();
    final LongAdder polls = new LongAdder();
    final LongAdder emptyPolls = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    private final ChannelHandler byteCounter = new ByteCounter();

    /** TCP connections opened (connect attempts that succeeded). */
    public long connections() {
        return connections.sum();
    }

    /**
     * TCP connects started. At least {@link #connections()}: a client closed while its connect is in
     * flight may have completed the handshake in the kernel (the server accepted it) without ever
     * seeing the channel active, so a server's accept count lies between the two.
     */
    public long connectAttempts() {
        return connectAttempts.sum();
    }

    /** HTTP requests sent (the WebSocket upgrade counts once, as a connection; frames are not requests). */
    public long httpRequests() {
        return httpRequests.sum();
    }

    public long polls() {
        return polls.sum();
    }

    /** Polls whose answer held no message. */
    public long emptyPolls() {
        return emptyPolls.sum();
    }

    public long bytesOut() {
        return bytesOut.sum();
    }

    public long bytesIn() {
        return bytesIn.sum();
    }

    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("tcp_connections", connections());
        m.put("http_requests", httpRequests());
        m.put("polls", polls());
        m.put("empty_polls", emptyPolls());
        m.put("bytes_out", bytesOut());
        m.put("bytes_in", bytesIn());
        return m;
    }

    /** A handler for the head of a pipeline (before TLS and codecs) counting TCP payload bytes. */
    ChannelHandler byteCounter() {
        return byteCounter;
    }

    @ChannelHandler.Sharable
    private final class ByteCounter extends ChannelDuplexHandler {
        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            connections.increment();
            super.channelActive(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            bytesIn.add(size(msg));
            super.channelRead(ctx, msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            bytesOut.add(size(msg));
            super.write(ctx, msg, promise);
        }

        private long size(Object msg) {
            if (msg instanceof ByteBuf b) {
                return b.readableBytes();
            }
            if (msg instanceof ByteBufHolder h) {
                return h.content().readableBytes();
            }
            return 0;
        }
    }
}
