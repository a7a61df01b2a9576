package io.netty.channel.epoll;

import io.netty.channel.Channel;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * stickyring's workaround for a defect of Netty 4.2.18's epoll transport, in Netty's package because
 * it needs {@code AbstractEpollChannel.setFlag} (called only through {@code io.stickyring.cli.NettyTransport}).
 *
 * <p>The defect: when a channel's epoll interest becomes empty, Netty removes its descriptor from the
 * epoll set ({@code EPOLL_CTL_DEL}, since Netty 4.2's fix for netty/netty#16683) but keeps its
 * registration marked as added, so the next interest it asks for is an {@code EPOLL_CTL_MOD} of a
 * descriptor epoll no longer knows: {@code epoll_ctl(..) failed with error(-2): No such file or
 * directory}, and the channel fails. Interest empties exactly when a peer half-closes: Netty stops
 * reading the finished input (and its read-hang-up interest), and with no write waiting nothing is
 * left. A proxy then still writes to that peer (the other side's answer), and the first write that
 * must wait for the socket to drain asks for {@code EPOLLOUT} and fails; a client whose request and
 * FIN arrive before the member connect completes fails at once, when reading is turned on.
 *
 * <p>The workaround keeps {@code EPOLLERR} in the interest of every proxied channel: the kernel
 * reports errors and hang-ups whatever the mask says, so the flag changes no event, but the interest
 * is never empty and the descriptor stays in the set. Set before the channel is registered it rides
 * on the registration's own {@code EPOLL_CTL_ADD} and costs no system call; set later, one
 * {@code epoll_ctl}.
 */
public final class EpollHalfClosure {

    private EpollHalfClosure() {
    }

    /**
     * Keeps {@code ch} in its epoll set (see the class comment); a no-op for channels of other
     * transports and for closed ones. Before registration: any thread that owns the new channel;
     * after: its event loop only.
     */
    public static void keepRegistered(Channel ch) {
        if (ch instanceof AbstractEpollChannel ep && ep.isOpen()) {
            try {
                ep.setFlag(Native.EPOLLERR);
            } catch (IOException | UncheckedIOException e) {
                ch.close();
            }
        }
    }

    /**
     * As {@link #keepRegistered}, and with {@code EPOLLIN} in the interest too, for a channel that is
     * not registered yet: both ride on the registration's {@code EPOLL_CTL_ADD} (the connect's, for a
     * client channel), so the {@code EPOLL_CTL_MOD} that the first {@code read()} would cost is never
     * made. For channels that read as soon as they are active or connected: the LB's accepted clients
     * (read while their member connect is in flight) and its member channels (read once connected).
     * Events seen before the channel reads change nothing: with AUTO_READ off and no read pending,
     * Netty still takes an {@code EPOLLIN} it gets then as the end of that read. A no-op for other
     * transports, for closed channels and for registered ones.
     */
    public static void keepRegisteredAndReadable(Channel ch) {
        if (ch instanceof AbstractEpollChannel ep && ep.isOpen() && !ep.isRegistered()) {
            try {
                ep.setFlag(Native.EPOLLERR);
                ep.setFlag(Native.EPOLLIN);
            } catch (IOException | UncheckedIOException e) {
                ch.close();
            }
        }
    }

    /** Whether {@code ch} is an epoll channel with {@code EPOLLIN} in its interest. */
    public static boolean readable(Channel ch) {
        return ch instanceof AbstractEpollChannel ep && ep.isFlagSet(Native.EPOLLIN);
    }

    /** Whether {@link #keepRegistered} applies to {@code ch} (an epoll channel with EPOLLERR in its interest). */
    public static boolean kept(Channel ch) {
        return ch instanceof AbstractEpollChannel ep && ep.isFlagSet(Native.EPOLLERR);
    }
}
