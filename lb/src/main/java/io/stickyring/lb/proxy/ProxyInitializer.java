package io.stickyring.lb.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/** Pipeline of a client connection: [PROXY header decoder] [idle timer] frontend handler. */
public final class ProxyInitializer extends ChannelInitializer<Channel> {

    private final ProxyContext px;

    public ProxyInitializer(ProxyContext px) {
        this.px = px;
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        if (px.config.acceptProxyProtocol()) {
            p.addLast("proxy-protocol", new HAProxyMessageDecoder());
        }
        long idle = px.config.clientIdleTimeout().toMillis();
        if (idle > 0) {
            p.addLast("idle", new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS));
        }
        p.addLast("frontend", new FrontendHandler(px));
    }
}
