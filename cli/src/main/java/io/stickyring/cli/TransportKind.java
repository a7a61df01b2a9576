package io.stickyring.cli;

import java.util.Locale;

/**
 * The I/O transport asked for (the LB's {@code --transport}; the chat node always asks for epoll): native epoll (the default; NIO where epoll is
 * unavailable), native io_uring (refused at start when the kernel does not offer it), or NIO.
 */
public enum TransportKind {
    EPOLL, IO_URING, NIO;

    /** Parses {@code epoll}, {@code io_uring} (or {@code io-uring}) or {@code nio}, case-insensitively. */
    public static TransportKind parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "epoll" -> EPOLL;
            case "io_uring", "io-uring", "iouring" -> IO_URING;
            case "nio" -> NIO;
            default -> throw new IllegalArgumentException("transport (" + s + ") must be epoll, io_uring or nio");
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
