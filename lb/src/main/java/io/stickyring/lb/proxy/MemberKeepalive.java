package io.stickyring.lb.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import java.time.Duration;
import java.util.List;

/**
 * The dead-member timers of a member socket (SO_KEEPALIVE with its idle, interval and count, and
 * TCP_USER_TIMEOUT) and how long after the member connect they are set: {@link #delay}.
 *
 * <p>Why a delay: they are 5 setsockopt calls per member socket, about a ninth of the system calls of
 * a short proxied connection (docs/lb.md, syscall table), and a connection that ends within the delay
 * never needs them. Setting them late detects a dead member no later, provided the delay is below the
 * keepalive idle time: the options are set in {@link #options} order, SO_KEEPALIVE first and
 * TCP_KEEPIDLE last, and on Linux setting TCP_KEEPIDLE on a socket with keepalive on arms the first
 * probe {@code idle} after the last segment received (net/ipv4/tcp.c, {@code tcp_sock_set_keepidle_locked}),
 * as if it had been set at connect. TCP_USER_TIMEOUT counts from the first unacknowledged
 * retransmission, whenever it is set; the kernel checks it at the next retransmission timer.
 *
 * <p>Invariant: immutable; {@code options} and {@code values} have the same length.
 */
public final class MemberKeepalive {

    /** Nothing to set (NIO, or the options are in the member bootstrap template). */
    public static final MemberKeepalive NONE = new MemberKeepalive(Duration.ZERO, List.of(), List.of());

    private final Duration delay;
    private final ChannelOption<Object>[] options;
    private final Object[] values;

    @SuppressWarnings({"unchecked", "rawtypes"})
    public MemberKeepalive(Duration delay, List<ChannelOption<?>> options, List<Object> values) {
        if (options.size() != values.size()) {
            throw new IllegalArgumentException("options (" + options.size() + ") and values (" + values.size() + ") differ in number");
        }
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay (" + delay + ") must be >= 0");
        }
        this.delay = delay;
        this.options = options.toArray(new ChannelOption[0]);
        this.values = values.toArray();
    }

    public boolean enabled() {
        return options.length > 0;
    }

    public Duration delay() {
        return delay;
    }

    /** The options in the order they are set. */
    public List<ChannelOption<?>> options() {
        return List.of(options);
    }

    /**
     * Sets the options on {@code member} (on its event loop). A socket that was closed or reset
     * meanwhile refuses them; that is not an error.
     */
    void apply(Channel member) {
        for (int i = 0; i < options.length; i++) {
            member.config().setOption(options[i], values[i]);
        }
    }
}
