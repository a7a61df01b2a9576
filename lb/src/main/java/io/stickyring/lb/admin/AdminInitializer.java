package io.stickyring.lb.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.stream.ChunkedWriteHandler;

/** Pipeline of an admin connection: HTTP/1.1 codec, keep-alive, 64 KiB aggregated requests, chunked writes (streamed /connections), {@link AdminHandler}. */
public final class AdminInitializer extends ChannelInitializer<Channel> {

    /** Largest admin request body accepted. */
    public static final int MAX_REQUEST_BYTES = 64 * 1024;

    private final AdminApi api;
    private final StatsPage stats;

    public AdminInitializer(AdminApi api) {
        this.api = api;
        this.stats = new StatsPage(api);
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.pipeline().addLast(new HttpServerCodec(), new HttpServerKeepAliveHandler(),
                new HttpObjectAggregator(MAX_REQUEST_BYTES), new ChunkedWriteHandler(), new AdminHandler(api, stats));
    }
}
