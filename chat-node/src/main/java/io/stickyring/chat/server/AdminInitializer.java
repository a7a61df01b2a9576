package io.stickyring.chat.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.util.function.Supplier;

/** Pipeline of an admin connection: HTTP/1.1 codec, 4 KiB aggregated requests, 30 s read timeout, {@link AdminHandler}. */
final class AdminInitializer extends ChannelInitializer<Channel> {
    static final int MAX_REQUEST_BYTES = 4096;
    private final ChatMetrics metrics;
    private final String nodeId;
    private final Supplier<String> state;
    private final byte[] token;

    AdminInitializer(ChatMetrics metrics, String nodeId, Supplier<String> state, byte[] token) {
        this.metrics = metrics;
        this.nodeId = nodeId;
        this.state = state;
        this.token = token == null ? null : token.clone();
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.pipeline().addLast(new ReadTimeoutHandler(30), new HttpServerCodec(), new HttpObjectAggregator(MAX_REQUEST_BYTES),
                new AdminHandler(metrics, nodeId, state, token));
    }
}
