package io.stickyring.chat.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * The long-polling fallback: the same frames as the WebSocket, carried by the HTTP API.
 * {@code hello} starts a {@code GET /api/poll?cursor=N&wait=S} loop (each returned message is
 * handed up as a {@code msg} frame) after a synthetic {@code welcome} naming the node from
 * {@code GET /api/hello} (which also checks the token: 401 is handed up as a 1008 close); {@code send} is a {@code POST /api/send} whose answer is the same {@code ack} or
 * {@code error}; {@code sync} moves the poll cursor; {@code ping} is answered locally. {@code read},
 * {@code typing} and {@code history} have no HTTP form and are dropped. Limits: Java 17's
 * HttpClient cannot bind a source address, so the client IP is the host default in this mode.
 * Invariant: any HTTP failure ends the transport (one {@code onClosed}); the client reconnects.
 */
final class LongPollTransport implements Transport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ClientRuntime runtime;
    private final Executor loop;
    private final URI base;
    private final String token;
    private final String user;
    private final Duration wait;
    private Listener listener;
    private volatile boolean open;
    private boolean closedFired;
    private long pollCursor = -1;
    private boolean polling;

    LongPollTransport(ClientRuntime runtime, Executor loop, URI base, String user, String token, Duration wait) {
        this.runtime = runtime;
        this.loop = loop;
        this.base = base;
        this.user = user;
        this.token = token;
        this.wait = wait;
    }

    @Override
    public String name() {
        return "long-poll";
    }

    @Override
    public void open(Listener l) {
        this.listener = l;
        open = true;
        l.onOpen();
    }

    private HttpRequest.Builder request(String pathAndQuery, Duration timeout) {
        return HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(timeout)
                .header("Authorization", "Bearer " + token);
    }

    @Override
    public boolean send(String json) {
        if (!open) {
            return false;
        }
        JsonNode f;
        try {
            f = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a JSON frame: " + json, e);
        }
        switch (f.path("t").asText()) {
            case "hello" -> hello(f.path("cursor").asLong());
            case "send" -> post(f);
            case "sync" -> pollCursor = f.path("cursor").asLong();
            case "ping" -> loop.execute(() -> deliver("{\"t\":\"pong\"}"));
            default -> {
                // read, typing, history: no HTTP equivalent; dropped (documented)
            }
        }
        return true;
    }

    private void hello(long cursor) {
        runtime.http().sendAsync(request("/api/hello", Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).whenCompleteAsync((r, e) -> {
                    if (e == null && r.statusCode() == 401) {
                        failWith(1008, "hello: 401 " + r.body());
                        return;
                    }
                    if (e != null || r.statusCode() != 200) {
                        fail(e != null ? e.toString() : "hello: HTTP " + r.statusCode());
                        return;
                    }
                    JsonNode hello;
                    try {
                        hello = JSON.readTree(r.body());
                    } catch (IOException ex) {
                        fail("hello: " + ex.getMessage());
                        return;
                    }
                    ObjectNode w = JSON.createObjectNode().put("t", "welcome").put("user", user)
                            .put("node", hello.path("node").asText()).put("cursor", cursor);
                    if (hello.hasNonNull("ip")) {
                        w.put("ip", hello.get("ip").asText());
                    }
                    deliver(w.toString());
                    pollCursor = cursor;
                    pollNext();
                }, loop);
    }

    private void pollNext() {
        if (!open || polling) {
            return;
        }
        polling = true;
        long from = pollCursor;
        HttpRequest req = request("/api/poll?cursor=" + from + "&wait=" + wait.toSeconds(), wait.plusSeconds(15))
                .GET().build();
        runtime.http().sendAsync(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .whenCompleteAsync((r, e) -> {
                    polling = false;
                    if (e != null) {
                        fail("poll: " + e);
                        return;
                    }
                    if (r.statusCode() == 401) {
                        failWith(1008, "poll: 401 " + r.body());
                        return;
                    }
                    if (r.statusCode() != 200) {
                        fail("poll: HTTP " + r.statusCode() + " " + r.body());
                        return;
                    }
                    try {
                        JsonNode p = JSON.readTree(r.body());
                        for (JsonNode m : p.path("messages")) {
                            ObjectNode msg = m.deepCopy();
                            msg.put("t", "msg");
                            deliver(msg.toString());
                        }
                        // A sync that moved the cursor while this poll ran wins only if it went back.
                        long next = p.path("cursor").asLong(from);
                        pollCursor = pollCursor != from ? Math.min(pollCursor, next) : next;
                    } catch (IOException ex) {
                        fail("poll: " + ex.getMessage());
                        return;
                    }
                    pollNext();
                }, loop);
    }

    private void post(JsonNode send) {
        ObjectNode body = JSON.createObjectNode().put("id", send.path("id").asText()).put("conv", send.path("conv").asText())
                .put("body", send.path("body").asText());
        HttpRequest req = request("/api/send", Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8)).build();
        runtime.http().sendAsync(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .whenCompleteAsync((r, e) -> {
                    if (e != null) {
                        fail("send: " + e);
                        return;
                    }
                    if (r.statusCode() == 401) {
                        failWith(1008, "send: 401");
                        return;
                    }
                    try {
                        ObjectNode answer = (ObjectNode) JSON.readTree(r.body());
                        if (!answer.has("ref") && "error".equals(answer.path("t").asText())) {
                            answer.put("ref", send.path("id").asText());
                        }
                        deliver(answer.toString());
                    } catch (IOException | ClassCastException ex) {
                        fail("send: HTTP " + r.statusCode() + " " + r.body());
                    }
                }, loop);
    }

    private void deliver(String json) {
        if (open) {
            listener.onText(json);
        }
    }

    private void fail(String reason) {
        failWith(1006, reason);
    }

    private void failWith(int code, String reason) {
        open = false;
        if (!closedFired) {
            closedFired = true;
            listener.onClosed(code, reason, false);
        }
    }

    @Override
    public void close() {
        loop.execute(() -> failWith(1000, "closed by client"));
    }
}
