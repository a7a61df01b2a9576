package io.stickyring.lb.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets the dead-member timers ({@link MemberKeepalive}) on the member sockets of one event loop's
 * connections once they have lived {@link MemberKeepalive#delay()}: a connection that ends sooner
 * costs no keepalive system calls at all. The connections waiting form a {@link LoopTimerList}
 * (entered when the member connect completes, left when the connection closes or its timers are set).
 *
 * <p>Invariant: touched only on its event loop; a connection is armed at most once.
 */
final class KeepaliveArmer extends LoopTimerList {

    private static final Logger log = LoggerFactory.getLogger(KeepaliveArmer.class);

    private final MemberKeepalive keepalive;

    KeepaliveArmer(EventLoop loop, MemberKeepalive keepalive) {
        super(loop, keepalive.delay().toNanos());
        this.keepalive = keepalive;
    }

    @Override
    void expired(ProxyConnection c) {
        Channel b = c.backend;
        if (c.finished || b == null || !b.isActive()) {
            return;
        }
        try {
            keepalive.apply(b);
        } catch (ChannelException e) {
            // the member reset or closed the socket meanwhile: its close is already on its way
            log.debug("member socket of client {} refused its keepalive options: {}", c.client, e.toString());
        }
    }
}
