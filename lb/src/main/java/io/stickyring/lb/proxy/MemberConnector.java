package io.stickyring.lb.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.BootstrapConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.bootstrap.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.AttributeKey;
import java.net.SocketAddress;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens member connections from a {@link Bootstrap} template without cloning it per connection.
 *
 * <p>{@code Bootstrap.clone(loop).handler(h).connect(addr)} copies the template's option and attribute
 * maps into a new Bootstrap, copies them again into arrays to apply them, looks up an address resolver
 * under a lock, and queues the connect as a separate event-loop task: about a fifth of the bytes the
 * LB allocated per new connection (JFR, docs/lb.md). This class reads the template once, keeps its
 * options as arrays, and per connection does only what Bootstrap ends up doing: make the channel, add
 * the handler, apply the options, register it on the client's event loop and connect. Member
 * addresses are already resolved, so no resolver is needed.
 *
 * <p>Invariant: the template is read only in the constructor; instances are immutable and shared by
 * all event loops.
 */
final class MemberConnector {

    private static final Logger log = LoggerFactory.getLogger(MemberConnector.class);

    private final ChannelFactory<? extends Channel> factory;
    private final ChannelOption<Object>[] options;
    private final Object[] values;
    private final AttributeKey<Object>[] attrKeys;
    private final Object[] attrValues;

    @SuppressWarnings("unchecked")
    MemberConnector(Bootstrap template) {
        BootstrapConfig c = template.config();
        this.factory = c.channelFactory();
        Map<ChannelOption<?>, Object> opts = c.options();
        this.options = opts.keySet().toArray(new ChannelOption[0]);
        this.values = new Object[options.length];
        for (int i = 0; i < options.length; i++) {
            values[i] = opts.get(options[i]);
        }
        Map<AttributeKey<?>, Object> attrs = c.attrs();
        this.attrKeys = attrs.keySet().toArray(new AttributeKey[0]);
        this.attrValues = new Object[attrKeys.length];
        for (int i = 0; i < attrKeys.length; i++) {
            attrValues[i] = attrs.get(attrKeys[i]);
        }
    }

    /**
     * Makes a member channel with {@code handler} on {@code loop} and connects it to {@code remote}.
     * The returned future fails if registration or the connect fails; the caller closes the channel
     * then (as Bootstrap's CLOSE_ON_FAILURE would).
     *
     * @throws ChannelException if the socket cannot be made at all (typically EMFILE: no descriptors left)
     */
    ChannelFuture connect(EventLoop loop, ChannelHandler handler, SocketAddress remote) {
        Channel ch = newChannel(handler, remote);
        ChannelFuture reg = loop.register(ch);
        if (reg.isDone()) {
            // the usual case: we are on the loop, so registration has completed inline
            return reg.isSuccess() ? ch.connect(remote) : failed(ch, reg);
        }
        ChannelFuture connected = ch.newPromise();
        reg.addListener(r -> {
            if (r.isSuccess()) {
                ch.connect(remote, (io.netty.channel.ChannelPromise) connected);
            } else {
                failed(ch, reg);
                ((io.netty.channel.ChannelPromise) connected).tryFailure(r.cause());
            }
        });
        return connected;
    }

    /**
     * Makes an unregistered member channel with the template's options and attributes and {@code handler}.
     *
     * @throws ChannelException if the socket cannot be made at all (typically EMFILE: no descriptors left)
     */
    Channel newChannel(ChannelHandler handler) {
        return newChannel(handler, null);
    }

    /**
     * As {@link #newChannel(ChannelHandler)}, for a connect to {@code remote}: a {@link MemberChannelFactory}
     * makes the socket in the address's family.
     */
    Channel newChannel(ChannelHandler handler, SocketAddress remote) {
        if (factory == null) {
            throw new IllegalStateException("member bootstrap template has no channel factory");
        }
        // ChannelException: the LB could not make a socket
        Channel ch = remote != null && factory instanceof MemberChannelFactory m ? m.newChannel(remote) : factory.newChannel();
        try {
            ch.pipeline().addLast(handler);
            for (int i = 0; i < options.length; i++) {
                if (!ch.config().setOption(options[i], values[i])) {
                    log.warn("unknown channel option {} for {}", options[i], ch.getClass().getSimpleName());
                }
            }
            for (int i = 0; i < attrKeys.length; i++) {
                ch.attr(attrKeys[i]).set(attrValues[i]);
            }
            // after the options (AUTO_READ off clears it): the read interest rides on the connect's
            // EPOLL_CTL_ADD, so turning reading on once connected costs no system call
            io.stickyring.cli.NettyTransport.keepWritableAndReadable(ch);
        } catch (RuntimeException | Error e) {
            ch.unsafe().closeForcibly();
            throw e;
        }
        return ch;
    }

    private static ChannelFuture failed(Channel ch, ChannelFuture reg) {
        if (ch.isRegistered()) {
            ch.close();
        } else {
            ch.unsafe().closeForcibly();
        }
        return reg;
    }
}
