package io.stickyring.chat.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stickyring.chat.store.Ack;
import io.stickyring.chat.store.Conversation;
import io.stickyring.chat.store.StoredMessage;
import java.util.List;

/**
 * Builders for the JSON frames of docs/protocol.md (field {@code t} is the type). The same shapes
 * are used by the WebSocket and the HTTP API, so a client can switch transports without remapping.
 */
public final class Frames {
    public static final ObjectMapper JSON = new ObjectMapper();

    private Frames() {
    }

    public static ObjectNode frame(String type) {
        ObjectNode n = JSON.createObjectNode();
        n.put("t", type);
        return n;
    }

    public static ObjectNode welcome(String user, String node, long cursor, String ip) {
        ObjectNode n = frame("welcome");
        n.put("user", user);
        n.put("node", node);
        n.put("cursor", cursor);
        if (ip != null) {
            n.put("ip", ip);
        }
        return n;
    }

    public static ObjectNode ack(Ack a) {
        ObjectNode n = frame("ack");
        n.put("id", a.id());
        n.put("conv", a.conv());
        n.put("seq", a.seq());
        n.put("ts", a.ts());
        return n;
    }

    public static ObjectNode msg(StoredMessage m, long cursor) {
        ObjectNode n = frame("msg");
        n.put("conv", m.conv());
        n.put("seq", m.seq());
        n.put("id", m.id());
        n.put("from", m.from());
        n.put("body", m.body());
        n.put("ts", m.ts());
        n.put("cursor", cursor);
        return n;
    }

    /** A message without a cursor (history pages: not an inbox position of the reader). */
    public static ObjectNode message(StoredMessage m) {
        ObjectNode n = JSON.createObjectNode();
        n.put("conv", m.conv());
        n.put("seq", m.seq());
        n.put("id", m.id());
        n.put("from", m.from());
        n.put("body", m.body());
        n.put("ts", m.ts());
        return n;
    }

    public static ObjectNode synced(long cursor) {
        return frame("synced").put("cursor", cursor);
    }

    public static ObjectNode receipt(String conv, String user, long seq) {
        return frame("receipt").put("conv", conv).put("user", user).put("seq", seq);
    }

    public static ObjectNode typing(String conv, String from) {
        return frame("typing").put("conv", conv).put("from", from);
    }

    public static ObjectNode history(String conv, long before, List<StoredMessage> messages, String ref) {
        ObjectNode n = frame("history");
        n.put("conv", conv);
        n.put("before", before);
        ArrayNode arr = n.putArray("messages");
        messages.forEach(m -> arr.add(message(m)));
        if (ref != null) {
            n.put("ref", ref);
        }
        return n;
    }

    public static ObjectNode conversation(Conversation c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", c.id());
        n.put("kind", c.kind().name().toLowerCase(java.util.Locale.ROOT));
        n.put("title", c.title());
        ArrayNode m = n.putArray("members");
        c.members().forEach(m::add);
        return n;
    }

    public static ObjectNode error(String code, String message, String ref) {
        ObjectNode n = frame("error");
        n.put("code", code);
        n.put("message", message);
        if (ref != null) {
            n.put("ref", ref);
        }
        return n;
    }

    /** A text field, or null when absent or not a string. */
    public static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    /** An integral field, or {@code dflt} when absent; null when present but not an integer >= 0. */
    public static Long nonNegative(JsonNode n, String field, Long dflt) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 0) {
            return null;
        }
        return v.asLong();
    }

    public static String encode(JsonNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
