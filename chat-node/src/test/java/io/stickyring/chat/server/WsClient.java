package io.stickyring.chat.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stickyring.chat.protocol.Frames;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Test client over the JDK's real WebSocket implementation; collects every text frame as JSON. */
final class WsClient implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Close(int code, String reason) { }

    final LinkedBlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    final CompletableFuture<Close> closed = new CompletableFuture<>();
    final WebSocket ws;

    private WsClient(URI uri) {
        this.ws = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5)).buildAsync(uri, new WebSocket.Listener() {
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
        return new WsClient(URI.create("ws://127.0.0.1:" + node.address().getPort() + "/ws"));
    }

    static WsClient connect(int port) {
        return new WsClient(URI.create("ws://127.0.0.1:" + port + "/ws"));
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

    void send(ObjectNode frame) {
        sendText(Frames.encode(frame));
    }

    void sendText(String text) {
        ws.sendText(text, true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    static ObjectNode sendFrame(String id, String conv, String body) {
        return Frames.frame("send").put("id", id).put("conv", conv).put("body", body);
    }

    /** The next frame (of any type), waiting up to 10 s. */
    JsonNode next() {
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
    JsonNode next(String type) {
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

    /** Every frame that arrives within {@code ms} (a quiet-period check; used only to prove absence). */
    List<JsonNode> drain(long ms) {
        List<JsonNode> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                JsonNode n = left <= 0 ? frames.poll() : frames.poll(left, TimeUnit.NANOSECONDS);
                if (n == null) {
                    return out;
                }
                out.add(n);
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
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
