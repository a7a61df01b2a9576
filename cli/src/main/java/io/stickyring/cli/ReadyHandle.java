package io.stickyring.cli;

import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;

/**
 * A descriptor registered with an epoll event loop without a Netty channel (Netty 4.2's
 * {@code IoEventLoop.register(IoHandle)}), for the LB's direct proxy engine: the epoll-specific part
 * lives here, next to {@link NettyTransport}, so the transport's classes stay in this module. The
 * event loop calls {@link #ready} with the ready events as {@link #IN}, {@link #OUT} and {@link #HUP} bits.
 */
public abstract class ReadyHandle implements EpollIoHandle {

    /** Readable (or an error). */
    public static final int IN = EpollIoOps.EPOLLIN.value() | EpollIoOps.EPOLLRDHUP.value() | EpollIoOps.EPOLLERR.value();
    /** Writable (or an error). */
    public static final int OUT = EpollIoOps.EPOLLOUT.value() | EpollIoOps.EPOLLERR.value();
    /** The peer shut its output down, or an error: what is left to read ends in end of stream. */
    public static final int HUP = EpollIoOps.EPOLLRDHUP.value() | EpollIoOps.EPOLLERR.value();

    private static final EpollIoOps EDGE = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLOUT)
            .with(EpollIoOps.EPOLLRDHUP).with(EpollIoOps.EPOLLET);
    private static final EpollIoOps NONE = EpollIoOps.NONE.with(EpollIoOps.EPOLLET);

    private final FileDescriptor fd;

    protected ReadyHandle(FileDescriptor fd) {
        this.fd = fd;
    }

    @Override
    public final FileDescriptor fd() {
        return fd;
    }

    @Override
    public final void handle(IoRegistration registration, IoEvent event) {
        ready(registration, ((EpollIoEvent) event).ops().value());
    }

    /** The descriptor's ready events ({@link #IN}, {@link #OUT}, {@link #HUP} bits), on its event loop. */
    protected abstract void ready(IoRegistration registration, int events);

    /** Input, output and peer shutdown, edge-triggered: each is reported once per change, no interest change ever needed. */
    public static void watchEdges(IoRegistration r) {
        r.submit(EDGE);
    }

    /** Input only, level-triggered (a listening socket). */
    public static void watchInput(IoRegistration r) {
        r.submit(EpollIoOps.EPOLLIN);
    }

    /** No events for now; the registration stays ({@link #watchInput} resumes). */
    public static void pause(IoRegistration r) {
        r.submit(NONE);
    }
}
