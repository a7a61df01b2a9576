package io.stickyring.lb.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.util.concurrent.ScheduledFuture;
import io.stickyring.cli.ReadyHandle;
import io.stickyring.lb.config.ProxyProtocolMode;
import java.util.concurrent.TimeUnit;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.NativeInetAddress;
import io.netty.channel.unix.Socket;
import io.netty.util.internal.PlatformDependent;
import io.stickyring.lb.route.CloseReason;
import io.stickyring.lb.route.MemberRuntime;
import io.stickyring.lb.route.TrackedConnection;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The direct data path (epoll only): proxied connections without a Netty channel or pipeline per
 * socket. Each event loop has its own {@code SO_REUSEPORT} listening socket registered as an
 * {@link ReadyHandle} (Netty 4.2's public I/O handle API, in cli next to the transport choice); each connection is two descriptors
 * registered the same way, edge-triggered for input, output and peer shutdown once (no
 * {@code epoll_ctl MOD} ever), and a small state machine relaying bytes through one scratch buffer per
 * loop. Bytes a side cannot take at once are kept per connection until its {@code EPOLLOUT}; while
 * they wait the other side is not read (backpressure: at most one read per direction is buffered).
 *
 * <p>Invariant: everything runs on the connection's event loop except {@link Conn#close}, which hands
 * itself over to the loop.
 */
public final class DirectProxy {

    private static final Logger log = LoggerFactory.getLogger(DirectProxy.class);

    /** Reads per side per event before yielding the loop to others (edge-triggered: a task resumes). */
    private static final int READS_PER_EVENT = 16;
    private static final int SCRATCH = 64 * 1024;
    private static final int IN = ReadyHandle.IN;
    private static final int OUT = ReadyHandle.OUT;
    private static final int HUP = ReadyHandle.HUP;

    private static final MethodHandle NEW_STREAM_FD;
    private static final MethodHandle CONNECT;
    private static final MethodHandle FINISH_CONNECT;
    private static final MethodHandle SHUTDOWN;
    private static final MethodHandle SET_NODELAY;
    private static final MethodHandle READ;
    private static final MethodHandle WRITE;
    private static final MethodHandle SET_KEEPALIVE;
    private static final MethodHandle SET_INT_OPT;
    private static final MethodHandle LOCAL_ADDRESS;
    private static final MethodHandle ENCODE_V1;
    private static final MethodHandle ENCODE_V2;
    /** Why the engine cannot run with this Netty (a private native it calls is not there); null: it can. */
    private static final String UNAVAILABLE;
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_KEEPIDLE = 4;
    private static final int TCP_KEEPINTVL = 5;
    private static final int TCP_KEEPCNT = 6;
    private static final int TCP_USER_TIMEOUT = 18;

    static {
        // Netty's own natives (its unix Socket's and FileDescriptor's private static methods), called with
        // the raw descriptor: the public wrappers need a Socket object per descriptor, whose constructor
        // costs a getsockname, and turn every EAGAIN and reset into an exception.
        MethodHandle[] h = new MethodHandle[12];
        String why = null;
        try {
            MethodHandles.Lookup s = MethodHandles.privateLookupIn(Socket.class, MethodHandles.lookup());
            MethodHandles.Lookup f = MethodHandles.privateLookupIn(FileDescriptor.class, MethodHandles.lookup());
            h[0] = s.findStatic(Socket.class, "newSocketStreamFd", MethodType.methodType(int.class, boolean.class));
            h[1] = s.findStatic(Socket.class, "connect",
                    MethodType.methodType(int.class, int.class, boolean.class, byte[].class, int.class, int.class));
            h[2] = s.findStatic(Socket.class, "finishConnect", MethodType.methodType(int.class, int.class));
            h[3] = s.findStatic(Socket.class, "shutdown",
                    MethodType.methodType(int.class, int.class, boolean.class, boolean.class));
            h[4] = s.findStatic(Socket.class, "setTcpNoDelay", MethodType.methodType(void.class, int.class, int.class));
            h[5] = f.findStatic(FileDescriptor.class, "readAddress",
                    MethodType.methodType(int.class, int.class, long.class, int.class, int.class));
            h[6] = f.findStatic(FileDescriptor.class, "writeAddress",
                    MethodType.methodType(int.class, int.class, long.class, int.class, int.class));
            h[7] = s.findStatic(Socket.class, "setKeepAlive", MethodType.methodType(void.class, int.class, int.class));
            h[8] = s.findStatic(Socket.class, "setIntOpt",
                    MethodType.methodType(void.class, int.class, int.class, int.class, int.class));
            h[9] = s.findStatic(Socket.class, "localAddress", MethodType.methodType(byte[].class, int.class));
            MethodHandles.Lookup e = MethodHandles.privateLookupIn(HAProxyMessageEncoder.class, MethodHandles.lookup());
            MethodType enc = MethodType.methodType(void.class, HAProxyMessage.class, ByteBuf.class);
            h[10] = e.findStatic(HAProxyMessageEncoder.class, "encodeV1", enc);
            h[11] = e.findStatic(HAProxyMessageEncoder.class, "encodeV2", enc);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            why = e.toString();
        }
        NEW_STREAM_FD = h[0];
        CONNECT = h[1];
        FINISH_CONNECT = h[2];
        SHUTDOWN = h[3];
        SET_NODELAY = h[4];
        READ = h[5];
        WRITE = h[6];
        SET_KEEPALIVE = h[7];
        SET_INT_OPT = h[8];
        LOCAL_ADDRESS = h[9];
        ENCODE_V1 = h[10];
        ENCODE_V2 = h[11];
        UNAVAILABLE = why;
    }

    /** Null when the engine can run here, else why not (checked at LB start-up). */
    public static String unavailabilityCause() {
        return UNAVAILABLE;
    }

    private final ProxyContext px;
    private final long connectTimeoutNanos;
    /** Member sockets' dead-peer timers: set this long after the connect (see {@link MemberKeepalive}); <0: never. */
    private final long keepaliveDelayNanos;
    private final int keepIdle;
    private final int keepInterval;
    private final int keepCount;
    private final int userTimeoutMillis;
    /** --client-idle-timeout / --member-idle-timeout in ns; 0: off. */
    private final long clientIdleNanos;
    private final long memberIdleNanos;

    public DirectProxy(ProxyContext px) {
        this.px = px;
        this.connectTimeoutNanos = px.config.connectTimeout().toNanos();
        this.keepaliveDelayNanos = px.keepalive.enabled() ? px.keepalive.delay().toNanos() : -1;
        this.keepIdle = (int) px.config.keepaliveIdle().toSeconds();
        this.keepInterval = (int) px.config.keepaliveInterval().toSeconds();
        this.keepCount = px.config.keepaliveCount();
        this.userTimeoutMillis = (int) px.config.tcpUserTimeout().toMillis();
        this.clientIdleNanos = px.config.clientIdleTimeout().toNanos();
        this.memberIdleNanos = px.config.memberIdleTimeout().toNanos();
    }

    /**
     * The PROXY protocol header for a connection from {@code client} to {@code destination}, encoded by
     * Netty's HAProxy encoder (its static encoders: the handler needs a pipeline).
     */
    static byte[] proxyHeader(ProxyProtocolMode mode, InetSocketAddress client, InetSocketAddress destination) {
        HAProxyMessage m = ProxyHeaders.header(mode, client, destination);
        ByteBuf out = Unpooled.buffer(mode == ProxyProtocolMode.V1 ? 108 : 52);
        try {
            if (mode == ProxyProtocolMode.V1) {
                ENCODE_V1.invokeExact(m, out);
            } else {
                ENCODE_V2.invokeExact(m, out);
            }
            byte[] b = new byte[out.readableBytes()];
            out.readBytes(b);
            return b;
        } catch (Throwable t) {
            throw sneaky(t);
        } finally {
            m.release();
            out.release();
        }
    }

    /** Binds one listening socket for {@code address} on {@code loop} and registers it; returns it. */
    public Listener listen(IoEventLoop loop, InetSocketAddress address, int backlog, boolean reusePort) throws Exception {
        Listener l = new Listener(loop, address, backlog, reusePort);
        IoRegistration reg = loop.register(l).sync().getNow();
        l.registration = reg;
        ReadyHandle.watchInput(reg);
        return l;
    }

    /**
     * The client and member descriptors of a direct connection (-1 where there is none yet), for
     * diagnostics and tests; null for a connection of the channel engine.
     */
    public static int[] descriptors(TrackedConnection c) {
        if (!(c instanceof Conn d)) {
            return null;
        }
        Side b = d.back;
        return new int[] {d.front.fd().intValue(), b == null ? -1 : b.fd().intValue()};
    }

    private static long positive(long nanos) {
        return nanos > 0 ? nanos : Long.MAX_VALUE;
    }

    private static int newStreamFd(boolean ipv6) {
        try {
            return (int) NEW_STREAM_FD.invokeExact(ipv6);
        } catch (Throwable t) {
            throw sneaky(t);
        }
    }

    private static RuntimeException sneaky(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }

    /** One loop's listening socket. */
    public final class Listener extends ReadyHandle {
        final IoEventLoop loop;
        final Socket socket;
        final byte[] acceptedAddress = new byte[26];
        final ByteBuffer scratch = ByteBuffer.allocateDirect(SCRATCH);
        final long scratchAddress = PlatformDependent.directBufferAddress(scratch);
        final InetSocketAddress childLocal;
        volatile IoRegistration registration;
        private long lastAcceptWarning;

        Listener(IoEventLoop loop, InetSocketAddress address, int backlog, boolean reusePort) throws IOException {
            super(new Socket(newStreamFd(address.getAddress() instanceof Inet6Address)));
            this.loop = loop;
            this.socket = (Socket) fd();
            InetSocketAddress bound;
            try {
                socket.setReuseAddress(true);
                if (reusePort) {
                    socket.setReusePort(true);
                }
                // inherited by every accepted socket (the kernel clones the listener's socket state)
                socket.setTcpNoDelay(true);
                socket.setKeepAlive(true);
                socket.setIntOpt(IPPROTO_TCP, TCP_KEEPIDLE, keepIdle);
                socket.setIntOpt(IPPROTO_TCP, TCP_KEEPINTVL, keepInterval);
                socket.setIntOpt(IPPROTO_TCP, TCP_KEEPCNT, keepCount);
                if (userTimeoutMillis > 0) {
                    socket.setIntOpt(IPPROTO_TCP, TCP_USER_TIMEOUT, userTimeoutMillis);
                }
                socket.bind(address);
                socket.listen(backlog);
                bound = socket.localAddress();
            } catch (IOException | RuntimeException e) {
                try {
                    socket.close(); // a port in use must not leave the descriptor behind
                } catch (IOException ignore) {
                    // already closed
                }
                throw e;
            }
            this.childLocal = bound.getAddress().isAnyLocalAddress() ? null : bound;
        }

        /** An accepted socket's local address: the listener's when it is bound to one address, else looked up. */
        InetSocketAddress localOf(int fd) {
            if (childLocal != null) {
                return childLocal;
            }
            try {
                byte[] a = (byte[]) LOCAL_ADDRESS.invokeExact(fd);
                return a == null ? socket.localAddress() : NativeInetAddress.address(a, 0, a.length);
            } catch (Throwable t) {
                return socket.localAddress();
            }
        }

        public InetSocketAddress localAddress() {
            return socket.localAddress();
        }

        @Override
        protected void ready(IoRegistration registration, int events) {
            for (int i = 0; i < 64; i++) { // level-triggered: a busy backlog comes back next pass
                int fd;
                try {
                    fd = socket.accept(acceptedAddress);
                } catch (IOException e) {
                    pauseAccepting(registration, e);
                    return;
                }
                if (fd == -1) {
                    return;
                }
                InetSocketAddress client = NativeInetAddress.address(acceptedAddress, 1, acceptedAddress[0]);
                new Conn(this, fd, client).start();
            }
        }

        /**
         * accept failed (typically EMFILE: the descriptors are used up). The pending connection stays in
         * the backlog and the socket stays readable, so a level-triggered listener would spin: stop
         * listening for a second, as Netty's acceptor does, and log that at most once a second.
         */
        private void pauseAccepting(IoRegistration registration, IOException e) {
            long now = System.nanoTime();
            if (now - lastAcceptWarning >= 1_000_000_000L || lastAcceptWarning == 0) {
                lastAcceptWarning = now == 0 ? 1 : now;
                log.warn("accept on {} failed ({}); not accepting for 1 s", socket.localAddress(), e.getMessage());
            }
            ReadyHandle.pause(registration); // no events, registration kept
            loop.schedule(() -> {
                if (registration.isValid()) {
                    ReadyHandle.watchInput(registration);
                }
            }, 1, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }

        /** Stops accepting: cancels the registration and closes the socket (on the loop). */
        public io.netty.util.concurrent.Future<?> shutdown() {
            return loop.submit(() -> {
                IoRegistration r = registration;
                if (r != null) {
                    r.cancel();
                }
                socket.close();
                return null;
            });
        }
    }

    /** One side of a connection. */
    private static final class Side extends ReadyHandle {
        final Conn conn;
        final boolean client;
        IoRegistration registration;
        /** Bytes read from the other side that this side has not taken yet (null: none). */
        ByteBuffer queued;
        boolean eof;      // this side sent FIN (read returned end of stream)
        boolean finSent;  // FIN forwarded to this side
        boolean finWanted; // the other side's FIN waits for queued to drain
        boolean hup;      // EPOLLRDHUP or EPOLLERR seen: read until end of stream, not just to a short read

        Side(Conn conn, boolean client, int fd) {
            super(new FileDescriptor(fd));
            this.conn = conn;
            this.client = client;
        }

        @Override
        protected void ready(IoRegistration registration, int events) {
            conn.event(this, events);
        }

        @Override
        public void close() {
            conn.closeNow(CloseReason.SHUTDOWN);
        }
    }

    /** One proxied connection: the client side, the member side and their state. */
    final class Conn implements TrackedConnection, Runnable {
        final Listener listener;
        final IoEventLoop loop;
        final Side front;
        Side back;
        final InetSocketAddress clientAddress;
        final long startNanos = System.nanoTime();
        final AtomicReference<CloseReason> reason = new AtomicReference<>();
        long key;
        MemberRuntime member;
        MemberRuntime[] tried;
        int tries;
        boolean connected;
        boolean closed;
        boolean limited;
        /** The side whose FIN came first: it closed the connection (the close reason). */
        Side firstFin;
        /** Refused (counted in rejected_total), so not counted again in closed_total. */
        boolean rejected;
        long toMember;
        long fromMember;
        /** The member connect's --connect-timeout, then the member socket's keepalive arming; null: none. */
        ScheduledFuture<?> timer;
        /** The idle timeouts' check (only with --client-idle-timeout or --member-idle-timeout). */
        ScheduledFuture<?> idleTimer;
        /** System.nanoTime() of the last read or write on each side (kept only with an idle timeout). */
        long clientActive;
        long memberActive;

        Conn(Listener listener, int fd, InetSocketAddress client) {
            this.listener = listener;
            this.loop = listener.loop;
            this.front = new Side(this, true, fd);
            this.clientAddress = client;
        }

        void start() {
            px.metrics.accepted.inc();
            px.metrics.active.inc();
            px.opened(this);
            if (!register(front)) {
                return;
            }
            if (px.shuttingDown()) {
                reject("shutdown", CloseReason.SHUTDOWN);
                return;
            }
            ConnectionLimiter.Verdict v = px.limiter.acquire(clientAddress.getAddress());
            if (v != ConnectionLimiter.Verdict.OK) {
                reject(v.name().toLowerCase(java.util.Locale.ROOT), CloseReason.LIMIT);
                return;
            }
            limited = true;
            if (clientIdleNanos > 0 || memberIdleNanos > 0) {
                clientActive = startNanos;
                memberActive = startNanos;
                idleTimer = loop.schedule(this::idleCheck, Math.min(positive(clientIdleNanos), positive(memberIdleNanos)),
                        TimeUnit.NANOSECONDS);
            }
            key = px.keyFunction.key(clientAddress);
            MemberRuntime first = px.router.first(key);
            if (first == null) {
                boolean full = px.router.table().routable();
                reject(full ? "member_full" : "no_member", full ? CloseReason.LIMIT : CloseReason.NO_MEMBER);
                return;
            }
            tried = new MemberRuntime[px.config.connectTries()];
            connect(first);
        }

        private boolean register(Side s) {
            try {
                IoRegistration r = loop.register(s).getNow();
                s.registration = r;
                ReadyHandle.watchEdges(r);
                return true;
            } catch (RuntimeException e) {
                log.warn("register failed: {}", e.toString(), e);
                closeNow(CloseReason.ERROR);
                return false;
            }
        }

        private void reject(String label, CloseReason r) {
            rejected = true;
            px.metrics.rejected.labelValues(label).inc();
            closeNow(r);
        }

        private void connect(MemberRuntime m) {
            tried[tries++] = m;
            member = m;
            InetSocketAddress a = m.address();
            InetAddress ip = a.getAddress();
            boolean ipv6 = ip instanceof Inet6Address;
            int fd;
            try {
                fd = (int) NEW_STREAM_FD.invokeExact(ipv6);
            } catch (Throwable t) {
                reject("local_socket", CloseReason.ERROR);
                return;
            }
            if (fd < 0) {
                reject("local_socket", CloseReason.ERROR);
                return;
            }
            Side b = new Side(this, false, fd);
            back = b;
            int res;
            try {
                SET_NODELAY.invokeExact(fd, 1);
                NativeInetAddress na = NativeInetAddress.newInstance(ip);
                res = (int) CONNECT.invokeExact(fd, ipv6, na.address(), ipv6 ? ((Inet6Address) ip).getScopeId() : 0, a.getPort());
            } catch (Throwable t) {
                res = Errors.ERROR_ECONNREFUSED_NEGATIVE;
            }
            if (!register(b)) {
                return;
            }
            if (res >= 0) {
                connected();
            } else if (res != Errors.ERRNO_EINPROGRESS_NEGATIVE) {
                connectFailed();
            } else { // EPOLLOUT on the member side completes it, unless --connect-timeout passes first
                timer = loop.schedule(this::connectTimedOut, connectTimeoutNanos, TimeUnit.NANOSECONDS);
            }
        }

        private void connectTimedOut() {
            timer = null;
            if (!closed && !connected && back != null) {
                log.debug("connect to {} timed out", member);
                connectFailed();
            }
        }

        /**
         * The idle timeouts (as the channel engine's IdleStateHandler, neither read nor written for that
         * long): closes the connection with reason idle, or checks again when the sooner could expire.
         */
        private void idleCheck() {
            idleTimer = null;
            if (closed) {
                return;
            }
            long now = System.nanoTime();
            long next = Long.MAX_VALUE;
            if (clientIdleNanos > 0) {
                long left = clientActive + clientIdleNanos - now;
                if (left <= 0) {
                    closeNow(CloseReason.IDLE);
                    return;
                }
                next = left;
            }
            if (memberIdleNanos > 0) {
                long left = memberActive + memberIdleNanos - now;
                if (left <= 0) {
                    closeNow(CloseReason.IDLE);
                    return;
                }
                next = Math.min(next, left);
            }
            idleTimer = loop.schedule(this::idleCheck, next, TimeUnit.NANOSECONDS);
        }

        private void active(Side s) {
            if (idleTimer != null) {
                if (s == front) {
                    clientActive = System.nanoTime();
                } else {
                    memberActive = System.nanoTime();
                }
            }
        }

        private void cancelTimer() {
            ScheduledFuture<?> t = timer;
            if (t != null) {
                timer = null;
                t.cancel(false);
            }
        }

        /** Sets the member socket's dead-peer timers (MemberKeepalive: SO_KEEPALIVE first, TCP_KEEPIDLE last). */
        private void armKeepalive() {
            timer = null;
            if (closed) {
                return;
            }
            int fd = back.fd().intValue();
            try {
                SET_KEEPALIVE.invokeExact(fd, 1);
                SET_INT_OPT.invokeExact(fd, IPPROTO_TCP, TCP_KEEPINTVL, keepInterval);
                SET_INT_OPT.invokeExact(fd, IPPROTO_TCP, TCP_KEEPCNT, keepCount);
                if (userTimeoutMillis > 0) {
                    SET_INT_OPT.invokeExact(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, userTimeoutMillis);
                }
                SET_INT_OPT.invokeExact(fd, IPPROTO_TCP, TCP_KEEPIDLE, keepIdle);
            } catch (Throwable t) {
                log.debug("member keepalive not set: {}", t.toString()); // reset meanwhile: not an error
            }
        }

        private void connectFailed() {
            cancelTimer();
            Side b = back;
            back = null;
            closeSide(b);
            if (closed) {
                return;
            }
            px.router.connectFailed(member);
            MemberRuntime next = tries < tried.length ? px.router.next(key, tried, tries) : null;
            member = null;
            if (next != null) {
                px.metrics.pickRetries.inc();
                connect(next);
            } else {
                reject("connect_failed", CloseReason.CONNECT_FAILED);
            }
        }

        private void connected() {
            cancelTimer();
            connected = true;
            member.connectSucceeded();
            if (!member.register(this)) {
                closeNow(member.inView() ? CloseReason.MEMBER_DOWN : CloseReason.MEMBER_REMOVED);
                return;
            }
            if (keepaliveDelayNanos >= 0) { // only connections that live past the delay get them
                timer = loop.schedule(this::armKeepalive, keepaliveDelayNanos, TimeUnit.NANOSECONDS);
            }
            ProxyProtocolMode pp = px.config.proxyProtocol();
            if (pp != ProxyProtocolMode.NONE) {
                InetSocketAddress local = listener.localOf(front.fd().intValue());
                byte[] h = proxyHeader(pp, clientAddress, local);
                ByteBuffer hb = ByteBuffer.allocateDirect(h.length).put(h).flip();
                int w = write(back, PlatformDependent.directBufferAddress(hb), h.length);
                if (w < 0) {
                    closeNow(CloseReason.MEMBER);
                    return;
                }
                if (w < h.length) {
                    back.queued = hb.position(w); // the client's bytes follow once it is written
                    return;
                }
            }
            // the client's bytes so far, then whatever it sent meanwhile
            relay(front, back);
        }

        void event(Side s, int ops) {
            if (closed) {
                return;
            }
            if ((ops & HUP) != 0) {
                s.hup = true;
            }
            if (s == back && !connected) {
                // any event on a connecting socket (EPOLLOUT, or EPOLLERR/EPOLLHUP when refused) ends the connect
                int res;
                try {
                    res = (int) FINISH_CONNECT.invokeExact(s.fd().intValue());
                } catch (Throwable t) {
                    res = Errors.ERROR_ECONNREFUSED_NEGATIVE;
                }
                if (res == Errors.ERRNO_EINPROGRESS_NEGATIVE) {
                    return;
                }
                if (res < 0) {
                    connectFailed();
                    return;
                }
                connected();
                if (closed) {
                    return;
                }
                ops &= ~OUT;
            }
            Side other = s == front ? back : front;
            if ((ops & OUT) != 0 && s.queued != null) {
                if (!drain(s)) {
                    return;
                }
                // the other side was not read while s was full
                if (other != null && !other.eof) {
                    relay(other, s);
                    if (closed) {
                        return;
                    }
                }
            }
            if ((ops & IN) != 0 && !s.eof) {
                if (s == front && !connected) {
                    return; // read once the member is connected (connected() relays)
                }
                relay(s, other);
            }
        }

        /** Reads {@code from} and writes to {@code to} until {@code from} is empty or {@code to} is full. */
        private void relay(Side from, Side to) {
            if (from.eof || to.queued != null) {
                return;
            }
            long buf = listener.scratchAddress;
            for (int i = 0; i < READS_PER_EVENT; i++) {
                int n;
                try {
                    n = (int) READ.invokeExact(from.fd().intValue(), buf, 0, SCRATCH);
                } catch (Throwable t) {
                    n = Errors.ERRNO_EBADF_NEGATIVE;
                }
                if (n > 0) {
                    count(from, n);
                    active(from);
                    int w = write(to, buf, n);
                    if (w > 0) {
                        active(to);
                    }
                    if (w < 0) {
                        closeNow(from == front ? CloseReason.MEMBER : CloseReason.CLIENT);
                        return;
                    }
                    if (w < n) {
                        ByteBuffer q = ByteBuffer.allocateDirect(n - w);
                        PlatformDependent.copyMemory(buf + w, PlatformDependent.directBufferAddress(q), n - w);
                        to.queued = q;
                        return; // from is read again once to drains
                    }
                    if (n < SCRATCH && !from.hup) {
                        // short read: the socket is empty (reading to EAGAIN would cost a call); bytes that
                        // arrive later raise a new edge. After EPOLLRDHUP the FIN has no edge left: read on
                        return;
                    }
                    continue;
                }
                if (n == 0) {
                    eof(from, to);
                    return;
                }
                if (n == Errors.ERRNO_EAGAIN_NEGATIVE || n == Errors.ERRNO_EWOULDBLOCK_NEGATIVE) {
                    return;
                }
                closeNow(from == front ? CloseReason.CLIENT : CloseReason.MEMBER);
                return;
            }
            loop.execute(() -> { // fairness: more to read, yield to the loop's other connections
                if (!closed) {
                    relay(from, to);
                }
            });
        }

        private void count(Side from, int n) {
            if (from == front) {
                toMember += n;
                member.bytesToMember.inc(n);
            } else {
                fromMember += n;
                member.bytesFromMember.inc(n);
            }
        }

        /** Writes; returns bytes taken (0 when full) or -1 on error. */
        private int write(Side to, long address, int n) {
            int w;
            try {
                w = (int) WRITE.invokeExact(to.fd().intValue(), address, 0, n);
            } catch (Throwable t) {
                return -1;
            }
            if (w >= 0) {
                return w;
            }
            return w == Errors.ERRNO_EAGAIN_NEGATIVE || w == Errors.ERRNO_EWOULDBLOCK_NEGATIVE ? 0 : -1;
        }

        /** Writes s's queued bytes; true when all went (then a waiting FIN is forwarded). */
        private boolean drain(Side s) {
            ByteBuffer q = s.queued;
            int n = q.remaining();
            int w = write(s, PlatformDependent.directBufferAddress(q) + q.position(), n);
            if (w > 0) {
                active(s);
            }
            if (w < 0) {
                closeNow(s == front ? CloseReason.CLIENT : CloseReason.MEMBER);
                return false;
            }
            if (w < n) {
                q.position(q.position() + w);
                return false;
            }
            s.queued = null;
            if (s.finWanted) {
                sendFin(s);
            }
            return !closed;
        }

        private void eof(Side from, Side to) {
            from.eof = true;
            if (firstFin == null) {
                firstFin = from;
            }
            if (to.queued != null) {
                to.finWanted = true;
            } else {
                sendFin(to);
            }
        }

        /** Forwards the other side's FIN to {@code s}; closes both once each side's FIN reached its peer. */
        private void sendFin(Side s) {
            s.finWanted = false;
            Side other = s == front ? back : front;
            if (s.eof && other.finSent) { // s's FIN went through before: nothing left either way
                closeNow(firstFin == back ? CloseReason.MEMBER : CloseReason.CLIENT); // who sent FIN first closed
                return;
            }
            int r;
            try {
                r = (int) SHUTDOWN.invokeExact(s.fd().intValue(), false, true);
            } catch (Throwable t) {
                r = Errors.ERRNO_EBADF_NEGATIVE;
            }
            if (r < 0) { // the peer reset meanwhile
                closeNow(s == front ? CloseReason.CLIENT : CloseReason.MEMBER);
                return;
            }
            s.finSent = true;
        }

        @Override
        public void close(CloseReason r) {
            reason.compareAndSet(null, r);
            if (loop.inEventLoop()) {
                closeNow(r);
            } else {
                loop.execute(this);
            }
        }

        @Override
        public void run() {
            closeNow(reason.get());
        }

        void closeNow(CloseReason r) {
            if (closed) {
                return;
            }
            reason.compareAndSet(null, r);
            closed = true;
            cancelTimer();
            ScheduledFuture<?> idle = idleTimer;
            if (idle != null) {
                idleTimer = null;
                idle.cancel(false);
            }
            closeSide(front);
            closeSide(back);
            if (limited) {
                px.limiter.release(clientAddress.getAddress());
            }
            if (connected) {
                member.unregister(this);
            }
            px.closed(this);
            px.metrics.active.dec();
            CloseReason why = reason.get();
            if (!rejected) {
                px.metrics.closedBy(why == null ? CloseReason.CLIENT : why).inc();
            }
            if (px.closeLog.sampled()) {
                px.closeLog.write(CloseLog.line(clientAddress, member, startNanos, toMember, fromMember, why));
            }
        }

        private void closeSide(Side s) {
            if (s == null) {
                return;
            }
            IoRegistration r = s.registration;
            if (r != null) {
                r.cancel();
            }
            try {
                s.fd().close();
            } catch (IOException ignore) {
                // already closed
            }
        }

        @Override
        public long key() {
            return key;
        }

        @Override
        public InetSocketAddress client() {
            return clientAddress;
        }

        @Override
        public String memberId() {
            MemberRuntime m = member;
            return connected && m != null ? m.id() : null;
        }

        @Override
        public long startNanos() {
            return startNanos;
        }

        @Override
        public long bytesToMember() {
            return toMember;
        }

        @Override
        public long bytesFromMember() {
            return fromMember;
        }
    }
}
