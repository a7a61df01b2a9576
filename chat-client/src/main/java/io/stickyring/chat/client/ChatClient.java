package io.stickyring.chat.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.EventLoop;
import io.stickyring.chat.protocol.ApiPaths;
import io.stickyring.chat.protocol.CloseCodes;
import io.stickyring.chat.protocol.ErrorCodes;
import io.stickyring.chat.protocol.FrameTypes;
import io.stickyring.chat.protocol.RetryHint;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Java chat client: keeps one connection to the chat service (through the LB), says
 * {@code hello} with its stored inbox cursor, sends from a persistent {@link Outbox} and keeps
 * every message there until its {@code ack} arrives, re-sending all of them in order after every
 * (re)connect with their original client ids, so the node stores each exactly once.
 *
 * <p>Invariants: (1) a message returned by {@link #send} is in the outbox before the call returns
 * and leaves it only on its ack or a permanent refusal; (2) {@link ChatListener#onMessage} sees
 * inbox cursors strictly increasing by one and each (conv, seq) at most once: duplicates are
 * dropped, and a cursor more than one past the last processed one triggers {@code sync} from the
 * last one; (3) every state change runs on the client's own event loop.
 *
 * <p>Reconnects use exponential backoff with full jitter ({@link Backoff}); a 1012 close waits
 * the node's {@code retry-after-ms} hint instead. Keep-alive: an application {@code ping} after
 * {@code pingInterval} of silence; no frame for another {@code pongTimeout} and the connection is
 * dropped and redialled. In {@code AUTO} mode, {@code wsFailuresBeforeFallback} refused WebSocket
 * upgrades in a row (TCP connected, upgrade failed) switch to long polling for {@code pollModeFor}, then WebSocket is tried again.
 */
public final class ChatClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChatClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ClientOptions options;
    private final Outbox outbox;
    private final ChatListener listener;
    private final ClientRuntime runtime;
    private final boolean ownRuntime;
    private final EventLoop loop;
    private final Backoff backoff;
    private final URI wsUri;

    // State below is touched only on `loop`.
    private Transport transport;
    private ConnectionState state = ConnectionState.CONNECTING;
    private String token;
    private boolean devToken;
    private long lastCursor;
    private boolean syncRequested;
    private final Map<String, Long> seenSeq = new HashMap<>();
    private final Set<String> inFlight = new HashSet<>();
    private int wsFailuresInRow;
    private long pollModeUntilNanos;
    private long lastFrameNanos;
    private boolean pingSent;
    private ScheduledFuture<?> keepAlive;
    private ScheduledFuture<?> reconnect;
    private volatile ConnectionInfo info = new ConnectionInfo(null, null, null, 0, 0, null, 0);
    private volatile boolean closed;

    private final AtomicLong connects = new AtomicLong();
    private final AtomicLong duplicatesDropped = new AtomicLong();
    private final AtomicLong gaps = new AtomicLong();
    private final AtomicLong resends = new AtomicLong();
    private final AtomicLong inboxResets = new AtomicLong();
    private final AtomicLong tokenRefreshes = new AtomicLong();

    private ChatClient(ClientOptions options, Outbox outbox, ChatListener listener, ClientRuntime runtime, boolean own,
                       RandomGenerator random) {
        this.options = options;
        this.outbox = outbox;
        this.listener = listener;
        this.runtime = runtime;
        this.ownRuntime = own;
        this.loop = runtime.group().next();
        this.backoff = new Backoff(options.backoffBase(), options.backoffMax(), random);
        this.token = options.token();
        this.lastCursor = outbox.cursor();
        String scheme = "https".equals(options.server().getScheme()) ? "wss" : "ws";
        this.wsUri = URI.create(scheme + "://" + options.server().getAuthority() + options.wsPath());
    }

    /** Starts a client with its own runtime (one event loop). */
    public static ChatClient start(ClientOptions options, Outbox outbox, ChatListener listener) {
        ChatClient c = new ChatClient(options, outbox, listener, ClientRuntime.create(1), true,
                ThreadLocalRandom.current());
        c.loop.execute(c::connect);
        return c;
    }

    /** Starts a client on a shared runtime (many clients, one set of threads). */
    public static ChatClient start(ClientRuntime runtime, ClientOptions options, Outbox outbox, ChatListener listener) {
        ChatClient c = new ChatClient(options, outbox, listener, runtime, false, ThreadLocalRandom.current());
        c.loop.execute(c::connect);
        return c;
    }

    // ------------------------------------------------------------------ public API

    /**
     * Queues a message durably and sends it as soon as connected. Returns the client-generated id
     * (a random UUID) that its {@link SendAck} will carry.
     */
    public String send(String conv, String body) {
        return send(UUID.randomUUID().toString(), conv, body);
    }

    /** As {@link #send(String, String)} with a caller-chosen id (1..64 chars). */
    public String send(String id, String conv, String body) {
        if (closed) {
            throw new IllegalStateException("client for " + options.user() + " is closed");
        }
        OutboxEntry e = new OutboxEntry(id, conv, body, System.currentTimeMillis());
        outbox.add(e);
        loop.execute(() -> transmit(e));
        return id;
    }

    /** Marks {@code conv} read up to {@code seq} (others get a receipt); dropped when not connected. */
    public void read(String conv, long seq) {
        loop.execute(() -> frame(JSON.createObjectNode().put(FrameTypes.FIELD, FrameTypes.READ).put("conv", conv).put("seq", seq)));
    }

    public void typing(String conv) {
        loop.execute(() -> frame(JSON.createObjectNode().put(FrameTypes.FIELD, FrameTypes.TYPING).put("conv", conv)));
    }

    /** Creates a group ({@code POST /api/conversations}); completes with its id. */
    public CompletableFuture<String> createGroup(List<String> members, String title) {
        ObjectNode b = JSON.createObjectNode().put("title", title);
        ArrayNode arr = b.putArray("members");
        members.forEach(arr::add);
        return postAuthorized(ApiPaths.CONVERSATIONS, b)
                .thenApply(r -> {
                    JsonNode n = parse(r.body());
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("create group: HTTP " + r.statusCode() + " " + r.body());
                    }
                    return n.path("id").asText();
                });
    }

    /**
     * Leaves group {@code conv} ({@code POST /api/leave}); completes once the node has committed
     * it, after which this user can neither send to nor read the group. Fails with the node's
     * error (e.g. {@code not_member}).
     */
    public CompletableFuture<Void> leaveGroup(String conv) {
        ObjectNode b = JSON.createObjectNode().put("conv", conv);
        return postAuthorized(ApiPaths.LEAVE, b)
                .thenApply(r -> {
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("leave " + conv + ": HTTP " + r.statusCode() + " " + r.body());
                    }
                    return null;
                });
    }

    /** POSTs {@code body} to {@code path} with this user's bearer token. */
    private CompletableFuture<HttpResponse<String>> postAuthorized(String path, ObjectNode body) {
        return tokenAsync().thenCompose(t -> runtime.http().sendAsync(HttpRequest.newBuilder(options.server().resolve(path))
                        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + t)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)));
    }

    public ConnectionState state() {
        return state;
    }

    public ConnectionInfo info() {
        return info;
    }

    /** Messages waiting for their ack. */
    public int pendingCount() {
        return outbox.pending().size();
    }

    public long cursor() {
        return outbox.cursor();
    }

    public String user() {
        return options.user();
    }

    /** Successful connects (welcomes) so far; reconnects = connects - 1. */
    public long connects() {
        return connects.get();
    }

    /** Redelivered messages dropped by cursor or (conv, seq). */
    public long duplicatesDropped() {
        return duplicatesDropped.get();
    }

    /** Times a cursor gap was detected and a {@code sync} sent. */
    public long gaps() {
        return gaps.get();
    }

    /** Outbox entries sent again on a later connection (or after a transient refusal). */
    public long resends() {
        return resends.get();
    }

    /** Times a node's inbox head was below the client's cursor (another store); see {@link ChatListener#onInboxReset}. */
    public long inboxResets() {
        return inboxResets.get();
    }

    /** Times a refused token (close 1008 / HTTP 401) was dropped to get a fresh one. */
    public long tokenRefreshes() {
        return tokenRefreshes.get();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> {
            state = ConnectionState.CLOSED;
            cancelTimers();
            if (transport != null) {
                Transport t = transport;
                transport = null;
                t.close();
            }
            safe(() -> listener.onState(ConnectionState.CLOSED, info));
            done.complete(null);
        });
        try {
            done.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("close of {} did not finish: {}", options.user(), e.toString());
        }
        outbox.close();
        if (ownRuntime) {
            runtime.close();
        }
    }

    // ------------------------------------------------------------------ connection life cycle

    private CompletableFuture<String> tokenAsync() {
        String t = token;
        if (t != null) {
            return CompletableFuture.completedFuture(t);
        }
        if (options.tokenSupplier() != null) {
            return freshToken();
        }
        if (!options.devLogin()) {
            // Unreachable through ClientOptions (it requires a token, a supplier or dev login).
            return CompletableFuture.failedFuture(new IllegalStateException("no token for " + options.user()));
        }
        ObjectNode b = JSON.createObjectNode().put("user", options.user());
        return runtime.http().sendAsync(HttpRequest.newBuilder(options.server().resolve(ApiPaths.LOGIN))
                        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(b.toString(), StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .thenApply(r -> {
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("login as " + options.user() + ": HTTP " + r.statusCode() + " " + r.body());
                    }
                    return parse(r.body()).path("token").asText();
                });
    }

    /** Asks the application's token supplier; a throw, a null stage or a null/empty token is a failure. */
    private CompletableFuture<String> freshToken() {
        try {
            CompletionStage<String> s = options.tokenSupplier().get();
            if (s == null) {
                return CompletableFuture.failedFuture(new IllegalStateException("token supplier returned null"));
            }
            return s.toCompletableFuture().thenApply(t -> {
                if (t == null || t.isEmpty()) {
                    throw new IllegalStateException("token supplier gave no token");
                }
                return t;
            });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void connect() {
        reconnect = null;
        if (closed) {
            return;
        }
        setState(ConnectionState.CONNECTING);
        if (token == null) {
            tokenAsync().whenCompleteAsync((t, e) -> {
                if (closed) {
                    return;
                }
                if (e != null) {
                    log.debug("{}: getting a token failed: {}", options.user(), e.toString());
                    scheduleReconnect(backoff.nextDelayMillis(), CloseCodes.ABNORMAL, "getting a token failed: " + e.getMessage());
                    return;
                }
                token = t;
                devToken = options.tokenSupplier() == null;
                openTransport();
            }, loop);
        } else {
            openTransport();
        }
    }

    private boolean usePoll() {
        return options.transport() == ClientOptions.TransportMode.LONG_POLL
                || options.transport() == ClientOptions.TransportMode.POLL
                || options.transport() == ClientOptions.TransportMode.AUTO && System.nanoTime() - pollModeUntilNanos < 0;
    }

    private void openTransport() {
        Transport t = usePoll()
                ? new HttpTransport(runtime, loop, options.server(), options.localAddress(), options.user(), token,
                        options.transport() == ClientOptions.TransportMode.POLL ? HttpTransport.Kind.POLL : HttpTransport.Kind.LONG_POLL,
                        options.pollWait(), options.pollInterval(), options.keepAlive())
                : new WebSocketTransport(runtime, loop, wsUri, options.localAddress());
        transport = t;
        inFlight.clear();
        syncRequested = false;
        t.open(new Transport.Listener() {
            @Override
            public void onOpen() {
                onLoop(() -> {
                    if (transport == t) {
                        lastFrameNanos = System.nanoTime();
                        frame(JSON.createObjectNode().put(FrameTypes.FIELD, FrameTypes.HELLO).put("token", token).put("cursor", lastCursor));
                    }
                });
            }

            @Override
            public void onText(String json) {
                onLoop(() -> {
                    if (transport == t) {
                        onFrame(json);
                    }
                });
            }

            @Override
            public void onClosed(int code, String reason, boolean handshakeFailed) {
                onLoop(() -> {
                    if (transport == t) {
                        transportClosed(t, code, reason, handshakeFailed);
                    }
                });
            }
        });
    }

    private void onLoop(Runnable r) {
        if (loop.inEventLoop()) {
            r.run();
        } else {
            loop.execute(r);
        }
    }

    private void transportClosed(Transport t, int code, String reason, boolean handshakeFailed) {
        transport = null;
        cancelKeepAlive();
        if (closed) {
            return;
        }
        if (t instanceof WebSocketTransport && handshakeFailed) {
            wsFailuresInRow++;
            if (options.transport() == ClientOptions.TransportMode.AUTO
                    && wsFailuresInRow >= options.wsFailuresBeforeFallback()) {
                log.info("{}: {} WebSocket upgrades failed in a row ({}); long polling for {}", options.user(),
                        wsFailuresInRow, reason, options.pollModeFor());
                pollModeUntilNanos = System.nanoTime() + options.pollModeFor().toNanos();
                wsFailuresInRow = 0;
            }
        }
        if (code == CloseCodes.POLICY_VIOLATION && (devToken || options.tokenSupplier() != null)) {
            // Refused (expired, or from another key): ask the supplier (or dev login) again. A
            // fixed token without a supplier is retried as is: nothing else may replace it.
            token = null;
            tokenRefreshes.incrementAndGet();
        }
        long delay;
        OptionalLong hint = RetryHint.parse(reason);
        if (code == CloseCodes.SERVICE_RESTART && hint.isPresent()) {
            delay = backoff.hintedDelayMillis(Math.min(hint.getAsLong(), options.backoffMax().toMillis()));
        } else {
            delay = backoff.nextDelayMillis();
        }
        scheduleReconnect(delay, code, reason);
    }

    private void scheduleReconnect(long delayMillis, int code, String reason) {
        info = new ConnectionInfo(info.node(), info.clientIp(), info.transport(), info.connects(), code, reason, delayMillis);
        setState(ConnectionState.RECONNECTING);
        log.debug("{}: closed {} {}; reconnect in {} ms", options.user(), code, reason, delayMillis);
        reconnect = loop.schedule(this::connect, delayMillis, TimeUnit.MILLISECONDS);
    }

    private void setState(ConnectionState s) {
        if (state != s && !(closed && s != ConnectionState.CLOSED)) {
            state = s;
            safe(() -> listener.onState(s, info));
        }
    }

    private void cancelKeepAlive() {
        if (keepAlive != null) {
            keepAlive.cancel(false);
            keepAlive = null;
        }
    }

    private void cancelTimers() {
        cancelKeepAlive();
        if (reconnect != null) {
            reconnect.cancel(false);
            reconnect = null;
        }
    }

    private void checkAlive() {
        Transport t = transport;
        if (t == null) {
            return;
        }
        long silent = System.nanoTime() - lastFrameNanos;
        if (silent > options.pingInterval().plus(options.pongTimeout()).toNanos()) {
            log.debug("{}: no frame for {} ms; dropping the connection", options.user(), silent / 1_000_000);
            t.close();
            // Do not wait for a dead peer's TCP teardown.
            transportClosed(t, CloseCodes.ABNORMAL, "pong timeout", false);
        } else if (silent > options.pingInterval().toNanos() && !pingSent) {
            pingSent = true;
            frame(JSON.createObjectNode().put(FrameTypes.FIELD, FrameTypes.PING));
        }
    }

    // ------------------------------------------------------------------ frames

    private void frame(ObjectNode f) {
        if (transport != null) {
            transport.send(f.toString());
        }
    }

    private void transmit(OutboxEntry e) {
        if (state != ConnectionState.CONNECTED || transport == null || inFlight.contains(e.id())) {
            return; // sent with the rest of the outbox after the next welcome
        }
        if (transport.send(JSON.createObjectNode().put(FrameTypes.FIELD, FrameTypes.SEND).put("id", e.id()).put("conv", e.conv())
                .put("body", e.body()).toString())) {
            inFlight.add(e.id());
        }
    }

    private void onFrame(String json) {
        lastFrameNanos = System.nanoTime();
        pingSent = false;
        JsonNode f = parse(json);
        switch (f.path(FrameTypes.FIELD).asText()) {
            case FrameTypes.WELCOME -> onWelcome(f);
            case FrameTypes.MSG -> onMsg(f);
            case FrameTypes.SYNCED -> syncRequested = false;
            case FrameTypes.ACK -> onAck(f);
            case FrameTypes.ERROR -> onError(f);
            case FrameTypes.RECEIPT -> safe(() -> listener.onReceipt(f.path("conv").asText(), f.path("user").asText(),
                    f.path("seq").asLong()));
            case FrameTypes.TYPING -> safe(() -> listener.onTyping(f.path("conv").asText(), f.path("from").asText()));
            default -> {
                // pong, history: nothing to do
            }
        }
    }

    private void onWelcome(JsonNode f) {
        connects.incrementAndGet();
        backoff.reset();
        if (transport instanceof WebSocketTransport) {
            wsFailuresInRow = 0;
        }
        info = new ConnectionInfo(f.path("node").asText(null), f.path("ip").asText(null), transport.name(),
                (int) connects.get(), info.lastCloseCode(), info.lastCloseReason(), 0);
        long head = f.path("cursor").asLong(-1);
        if (head >= 0 && head < lastCursor) {
            // A shared store's head never falls below what it sent us: this is another store.
            log.warn("{}: node {} has inbox head {} below our cursor {}; continuing from its head", options.user(),
                    info.node(), head, lastCursor);
            long old = lastCursor;
            lastCursor = head;
            outbox.resetCursor(head);
            seenSeq.clear();
            inboxResets.incrementAndGet();
            safe(() -> listener.onInboxReset(old, head));
        }
        setState(ConnectionState.CONNECTED);
        keepAlive = loop.scheduleAtFixedRate(this::checkAlive, options.pingInterval().toMillis() / 2,
                Math.max(50, options.pingInterval().toMillis() / 2), TimeUnit.MILLISECONDS);
        List<OutboxEntry> pending = outbox.pending();
        if (connects.get() > 1) {
            resends.addAndGet(pending.size());
        }
        for (OutboxEntry e : pending) {
            transmit(e);
        }
    }

    private void onMsg(JsonNode f) {
        long c = f.path("cursor").asLong();
        if (c <= lastCursor) {
            duplicatesDropped.incrementAndGet();
            return;
        }
        if (c > lastCursor + 1) {
            // A gap: something before this was lost; ask for everything after what we have.
            if (!syncRequested) {
                syncRequested = true;
                gaps.incrementAndGet();
                frame(JSON.createObjectNode().put(FrameTypes.FIELD, FrameTypes.SYNC).put("cursor", lastCursor));
            }
            return;
        }
        lastCursor = c;
        outbox.cursor(c);
        String conv = f.path("conv").asText();
        long seq = f.path("seq").asLong();
        Long seen = seenSeq.get(conv);
        if (seen != null && seq <= seen) {
            duplicatesDropped.incrementAndGet();
            return;
        }
        seenSeq.put(conv, seq);
        ChatMessage m = new ChatMessage(conv, seq, f.path("id").asText(), f.path("from").asText(), f.path("body").asText(),
                f.path("ts").asLong(), c);
        safe(() -> listener.onMessage(m));
    }

    private void onAck(JsonNode f) {
        String id = f.path("id").asText();
        inFlight.remove(id);
        outbox.remove(id);
        SendAck a = new SendAck(id, f.path("conv").asText(), f.path("seq").asLong(), f.path("ts").asLong());
        safe(() -> listener.onAck(a));
    }

    private void onError(JsonNode f) {
        String code = f.path("code").asText();
        String ref = f.path("ref").asText(null);
        if (ref == null) {
            log.debug("{}: error {} {}", options.user(), code, f.path("message").asText());
            return;
        }
        OutboxEntry e = null;
        for (OutboxEntry p : outbox.pending()) {
            if (p.id().equals(ref)) {
                e = p;
                break;
            }
        }
        if (e == null) {
            return;
        }
        inFlight.remove(ref);
        if (ErrorCodes.retriable(code)) {
            OutboxEntry retry = e;
            resends.incrementAndGet();
            loop.schedule(() -> transmit(retry), options.retryRefusedSend().toMillis(), TimeUnit.MILLISECONDS);
        } else {
            outbox.remove(ref);
            OutboxEntry failed = e;
            safe(() -> listener.onSendFailed(failed, code, f.path("message").asText()));
        }
    }

    private void safe(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            log.warn("{}: listener failed: {}", options.user(), e.toString(), e);
        }
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("bad JSON from server: " + json, e);
        }
    }

    /** For tests: the ids currently in the outbox. */
    List<String> pendingIds() {
        List<String> ids = new ArrayList<>();
        outbox.pending().forEach(e -> ids.add(e.id()));
        return ids;
    }
}
