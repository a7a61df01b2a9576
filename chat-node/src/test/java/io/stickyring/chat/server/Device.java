package io.stickyring.chat.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.auth.TokenService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One client device in cluster tests: a {@link WsClient} session plus everything it was sent,
 * across reconnects (a model of a device over the shared client, not a client of its own). Checks the delivery invariants as frames arrive: each device sees its inbox cursors
 * 1, 2, 3, ... exactly once, whichever nodes served it.
 */
final class Device implements AutoCloseable {
    final String user;
    private final TokenService tokens;
    WsClient ws;
    int port;
    /** Messages by cursor, in arrival order across sessions. */
    final LinkedHashMap<Long, JsonNode> msgs = new LinkedHashMap<>();
    final Map<String, JsonNode> acks = new HashMap<>();
    final Map<String, JsonNode> errors = new HashMap<>();
    final List<String> violations = new ArrayList<>();
    long cursor;

    Device(String user, TokenService tokens) {
        this.user = user;
        this.tokens = tokens;
    }

    /** Connects to {@code port} resuming after the last cursor seen, and reads the replay up to "synced". */
    Device connect(int port) {
        this.port = port;
        ws = WsClient.login(port, tokens, user, cursor);
        while (!take(ws.next()).equals("synced")) {
            // replayed messages are recorded by take()
        }
        return this;
    }

    /** Records one frame; returns its type. */
    String take(JsonNode f) {
        String t = f.path("t").asText();
        switch (t) {
            case "msg" -> {
                long c = f.get("cursor").asLong();
                if (c != cursor + 1) {
                    violations.add(user + ": cursor " + c + " after " + cursor);
                }
                if (msgs.put(c, f) != null) {
                    violations.add(user + ": cursor " + c + " delivered twice");
                }
                cursor = Math.max(cursor, c);
            }
            case "ack" -> acks.put(f.get("id").asText(), f);
            case "error" -> {
                if (f.hasNonNull("ref")) {
                    errors.put(f.get("ref").asText(), f);
                }
            }
            default -> { }
        }
        return t;
    }

    void send(String id, String conv, String body) {
        ws.send(WsClient.sendFrame(id, conv, body));
    }

    /** Sends and waits for its ack (recording whatever else arrives meanwhile). */
    JsonNode sendAndAwaitAck(String id, String conv, String body) {
        acks.remove(id);
        send(id, conv, body);
        while (!acks.containsKey(id)) {
            take(ws.next());
        }
        return acks.get(id);
    }

    /** Records every frame already received, without waiting. */
    void pollAvailable() {
        JsonNode f;
        while ((f = ws.frames.poll()) != null) {
            take(f);
        }
    }

    /** Reads frames until every id in {@code ids} has an ack. */
    void awaitAcks(java.util.Collection<String> ids) {
        while (!acks.keySet().containsAll(ids)) {
            take(ws.next());
        }
    }

    /** Reads frames until {@code n} messages have arrived in total. */
    void awaitMessages(int n) {
        while (msgs.size() < n) {
            take(ws.next());
        }
    }

    /** Records every frame the node wrote to this device before a ping/pong round trip ({@link WsClient#fence}). */
    void fence() {
        for (JsonNode f : ws.fence()) {
            take(f);
        }
    }

    /** Records every frame received until the node's end of the connection (a killed node: all it sent). */
    void takeUntilClosed() {
        ws.awaitClose();
        for (JsonNode f : ws.received()) {
            take(f);
        }
    }

    List<String> ids() {
        return msgs.values().stream().map(m -> m.get("id").asText()).toList();
    }

    @Override
    public void close() {
        if (ws != null) {
            ws.close();
        }
    }
}
