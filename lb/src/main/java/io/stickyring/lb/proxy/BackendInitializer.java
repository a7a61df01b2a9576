package io.stickyring.lb.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.stickyring.lb.config.ProxyProtocolMode;
import java.util.concurrent.TimeUnit;

/** Pipeline of a member connection: [PROXY header encoder] [idle timer] backend handler. */
final class BackendInitializer extends ChannelInitializer<Channel> {

    private final ProxyContext px;
    private final ProxyConnection conn;

    BackendInitializer(ProxyContext px, ProxyConnection conn) {
        this.px = px;
        this.conn = conn;
    }

    /** False when the pipeline is the backend handler alone: then it is installed directly (no initializer to add and remove per connection). */
    static boolean needed(ProxyContext px) {
        return px.config.proxyProtocol() != ProxyProtocolMode.NONE || !px.config.memberIdleTimeout().isZero();
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        if (px.config.proxyProtocol() != ProxyProtocolMode.NONE) {
            p.addLast("proxy-protocol", HAProxyMessageEncoder.INSTANCE);
        }
        long idle = px.config.memberIdleTimeout().toMillis();
        if (idle > 0) {
            p.addLast("idle", new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS));
        }
        p.addLast("backend", new BackendHandler(conn));
    }
}
