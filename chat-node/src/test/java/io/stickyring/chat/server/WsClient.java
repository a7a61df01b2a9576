package io.stickyring.chat.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.ByteBuffer;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one WebSocket client of chat-node's tests, over the JDK's real implementation (which
 * masks, fragments and answers pings as a browser does); collects every text frame as JSON.
 * Absence is proven with {@link #fence()}, a ping/pong round trip, never with a quiet period.
 * {@link RawWs} remains only for what a real client never sends (raw-frame abuse).
 */
public final class WsClient implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Close(int code, String reason) { }

    final LinkedBlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    final CompletableFuture<Close> closed = new CompletableFuture<>();
    /** WebSocket pings received from the node (the JDK answers each with a pong by itself). */
    final AtomicInteger pings = new AtomicInteger();
    final WebSocket ws;

    private WsClient(URI uri, HttpClient http) {
        this.ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5)).buildAsync(uri, new WebSocket.Listener() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public void onOpen(WebSocket webSocket) {
                webSocket.request(Long.MAX_VALUE);
            }

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    try {
                        frames.add(Frames.JSON.readTree(partial.toString()));
                    } catch (Exception e) {
                        throw new IllegalStateException("server sent non-JSON: " + partial, e);
                    }
                    partial.setLength(0);
                }
                return null;
            }

            @Override
            public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
                pings.incrementAndGet();
                return WebSocket.Listener.super.onPing(webSocket, message);
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                closed.complete(new Close(statusCode, reason));
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                closed.complete(new Close(-1, String.valueOf(error)));
            }
        }).orTimeout(10, TimeUnit.SECONDS).join();
    }

    static WsClient connect(ChatNode node) {
        return connect(node.address().getPort());
    }

    public static WsClient connect(int port) {
        return new WsClient(URI.create("ws://127.0.0.1:" + port + "/ws"), HTTP);
    }

    /** Connects to {@code uri} (e.g. {@code wss://...}) through {@code http} (e.g. one trusting a test certificate). */
    public static WsClient connect(URI uri, HttpClient http) {
        return new WsClient(uri, http);
    }

    /** Connects and completes hello; returns after the welcome frame (which is consumed). */
    static WsClient login(ChatNode node, String user, long cursor) {
        return login(node.address().getPort(), node.tokens(), user, cursor);
    }

    static WsClient login(int port, io.stickyring.chat.auth.TokenService tokens, String user, long cursor) {
        WsClient c = connect(port);
        c.send(Frames.frame("hello").put("token", tokens.issue(user)).put("cursor", cursor));
        JsonNode w = c.next("welcome");
        if (!w.get("user").asText().equals(user)) {
            throw new AssertionError("welcome for wrong user: " + w);
        }
        return c;
    }

    public void send(ObjectNode frame) {
        sendText(Frames.encode(frame));
    }

    void sendText(String text) {
        ws.sendText(text, true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    static ObjectNode sendFrame(String id, String conv, String body) {
        return Frames.frame("send").put("id", id).put("conv", conv).put("body", body);
    }

    /** The next frame (of any type), waiting up to 10 s. */
    public JsonNode next() {
        try {
            JsonNode n = frames.poll(10, TimeUnit.SECONDS);
            if (n == null) {
                throw new AssertionError("no frame within 10 s");
            }
            return n;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The next frame, which must be of {@code type}. */
    public JsonNode next(String type) {
        JsonNode n = next();
        if (!type.equals(n.path("t").asText())) {
            throw new AssertionError("expected a '" + type + "' frame, got " + n);
        }
        return n;
    }

    /** Frames until one of {@code type} arrives (inclusive), waiting up to 10 s for each. */
    List<JsonNode> until(String type) {
        List<JsonNode> out = new ArrayList<>();
        while (true) {
            JsonNode n = next();
            out.add(n);
            if (type.equals(n.path("t").asText())) {
                return out;
            }
        }
    }

    /**
     * A ping/pong round trip: returns every frame that arrives before the node's {@code pong}
     * (which is consumed). The node handles a session's frames in order on one thread, so this
     * is everything it wrote to this session before it read the ping: after the events that could
     * cause a frame have happened (acks received, messages awaited), an empty fence proves that
     * nothing more was sent. Counts against the rate limit like any request.
     */
    List<JsonNode> fence() {
        send(Frames.frame("ping"));
        List<JsonNode> out = until("pong");
        out.remove(out.size() - 1);
        return out;
    }

    /** Frames already received, without waiting (e.g. after {@link #awaitClose}: all the node sent). */
    List<JsonNode> received() {
        List<JsonNode> out = new ArrayList<>();
        frames.drainTo(out);
        return out;
    }

    Close awaitClose() {
        return closed.orTimeout(10, TimeUnit.SECONDS).join();
    }

    boolean isOpen() {
        return !closed.isDone() && !ws.isInputClosed();
    }

    @Override
    public void close() {
        if (!ws.isOutputClosed()) {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
        ws.abort();
    }
}
