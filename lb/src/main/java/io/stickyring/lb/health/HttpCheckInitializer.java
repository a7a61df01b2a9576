package io.stickyring.lb.health;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Pipeline of one HTTP health check: [PROXY header encoder] read timeout, HTTP client codec, 64 KiB
 * aggregated response, and a handler reporting pass (2xx) or fail exactly once.
 */
final class HttpCheckInitializer extends ChannelInitializer<Channel> {

    /** Largest health check response read. */
    static final int MAX_RESPONSE_BYTES = 64 * 1024;

    private final boolean proxyHeader;
    private final long timeoutMillis;
    private final Consumer<Boolean> result;

    /** @param result called once per check, on the channel's event loop */
    HttpCheckInitializer(boolean proxyHeader, long timeoutMillis, Consumer<Boolean> result) {
        this.proxyHeader = proxyHeader;
        this.timeoutMillis = timeoutMillis;
        this.result = result;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (proxyHeader) {
            ch.pipeline().addLast(HAProxyMessageEncoder.INSTANCE);
        }
        ch.pipeline().addLast(new ReadTimeoutHandler(timeoutMillis, TimeUnit.MILLISECONDS),
                new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE_BYTES),
                new SimpleChannelInboundHandler<FullHttpResponse>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                        result.accept(r.status().codeClass() == HttpStatusClass.SUCCESS);
                        ctx.close();
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        result.accept(false);
                        ctx.close();
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        result.accept(false); // closed before a response: fail (ignored if already reported)
                    }
                });
    }
}
