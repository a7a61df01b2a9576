/*
 * Adapted from Netty 4.2.18's io.netty.channel.epoll.EpollServerSocketChannelConfig
 * (Copyright 2014 The Netty Project, Apache License 2.0) for stickyring.
 */
package io.netty.channel.epoll;

import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import java.io.IOException;
import java.util.Map;

/**
 * The config of {@link LeanEpollServerSocketChannel}: Netty's {@link EpollServerChannelConfig} (backlog,
 * receive buffer, address reuse, TCP fast open and every generic option) plus {@code SO_REUSEPORT},
 * the one listener option of Netty's {@code EpollServerSocketChannelConfig} the LB sets (one socket
 * per accept thread or I/O loop). The others ({@code IP_FREEBIND}, {@code IP_TRANSPARENT},
 * {@code TCP_DEFER_ACCEPT}, {@code TCP_MD5SIG}) are refused as unknown, as on any channel without them.
 */
public final class LeanEpollServerSocketChannelConfig extends EpollServerChannelConfig {

    LeanEpollServerSocketChannelConfig(LeanEpollServerSocketChannel channel) {
        super(channel);
        setReuseAddress(true); // as Netty's (and java.nio's) listeners, netty/netty#2605
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), EpollChannelOption.SO_REUSEPORT);
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T getOption(ChannelOption<T> option) {
        if (option == EpollChannelOption.SO_REUSEPORT) {
            return (T) Boolean.valueOf(isReusePort());
        }
        return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        if (option == EpollChannelOption.SO_REUSEPORT) {
            validate(option, value);
            setReusePort((Boolean) value);
            return true;
        }
        return super.setOption(option, value);
    }

    /** Whether {@code SO_REUSEPORT} is set. */
    public boolean isReusePort() {
        try {
            return socket().isReusePort();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** Sets {@code SO_REUSEPORT} (before the bind): several sockets on one port, each accepting its share. */
    public LeanEpollServerSocketChannelConfig setReusePort(boolean reusePort) {
        try {
            socket().setReusePort(reusePort);
            return this;
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** Whether {@code IP_TRANSPARENT} is set on the socket (by whatever means): its accepted sockets' local addresses then vary. */
    boolean isIpTransparent() {
        try {
            return socket().isIpTransparent();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }
}
