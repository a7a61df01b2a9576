package io.stickyring.chat.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stickyring.chat.model.Ack;
import io.stickyring.chat.model.AppendResult;
import io.stickyring.chat.model.RejectedException;
import io.stickyring.chat.model.SendRequest;
import io.stickyring.chat.model.StoredMessage;
import io.stickyring.chat.store.StoreUnavailableException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON bodies of an append request to a writer and of its reply (a result, a rejection or a
 * retryable failure), one at a time or as a batch: a JSON array of requests answered by an array of
 * replies in the same order. Bad bytes throw {@link IllegalArgumentException}.
 */
final class AppendCodec {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AppendCodec() {
    }

    static byte[] request(SendRequest r) {
        ObjectNode n = JSON.createObjectNode().put("sender", r.sender()).put("id", r.clientId()).put("conv", r.conv())
                .put("body", r.body());
        return bytes(n);
    }

    static SendRequest request(byte[] data) {
        return request(parse(data));
    }

    private static SendRequest request(JsonNode n) {
        return new SendRequest(text(n, "sender"), text(n, "id"), text(n, "conv"), text(n, "body"));
    }

    /** A JSON array of already encoded objects (requests or replies), in order. */
    static byte[] array(List<byte[]> items) {
        int size = 2 + Math.max(0, items.size() - 1);
        for (byte[] b : items) {
            size += b.length;
        }
        byte[] out = new byte[size];
        out[0] = '[';
        int at = 1;
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                out[at++] = ',';
            }
            byte[] b = items.get(i);
            System.arraycopy(b, 0, out, at, b.length);
            at += b.length;
        }
        out[at] = ']';
        return out;
    }

    /**
     * The requests of a batch, in order: each a {@link SendRequest} or, for an element that is not a
     * request, the {@link IllegalArgumentException} naming what is wrong with it.
     */
    static List<Object> requests(byte[] data) {
        JsonNode n = parse(data);
        if (!n.isArray()) {
            throw new IllegalArgumentException("append batch is not a JSON array");
        }
        List<Object> out = new ArrayList<>(n.size());
        for (JsonNode e : n) {
            try {
                out.add(request(e));
            } catch (IllegalArgumentException ex) {
                out.add(ex);
            }
        }
        return out;
    }

    /** The replies of a batch, in order (each as {@link #reply(JsonNode)} reads it); {@code expected} elements. */
    static List<JsonNode> replies(byte[] data, int expected) {
        JsonNode n = parse(data);
        if (!n.isArray() || n.size() != expected) {
            throw new IllegalArgumentException("append batch reply is not an array of " + expected + " replies");
        }
        List<JsonNode> out = new ArrayList<>(expected);
        n.forEach(out::add);
        return out;
    }

    static byte[] result(AppendResult r) {
        StoredMessage m = r.message();
        ObjectNode n = JSON.createObjectNode().put("ok", true).put("dup", r.duplicate());
        n.putObject("m").put("conv", m.conv()).put("seq", m.seq()).put("id", m.id()).put("from", m.from())
                .put("body", m.body()).put("ts", m.ts());
        ObjectNode c = n.putObject("cursors");
        r.cursors().forEach(c::put);
        return bytes(n);
    }

    static byte[] failure(Throwable e) {
        ObjectNode n = JSON.createObjectNode().put("ok", false).put("msg", String.valueOf(e.getMessage()));
        if (e instanceof RejectedException re) {
            n.put("code", re.code());
        }
        return bytes(n);
    }

    /** The reply as a result, or throws the rejection / {@link StoreUnavailableException} it carries. */
    static AppendResult reply(byte[] data) {
        return reply(parse(data));
    }

    /** One reply of a batch as a result, or throws the rejection / {@link StoreUnavailableException} it carries. */
    static AppendResult reply(JsonNode n) {
        if (!n.path("ok").asBoolean(false)) {
            String msg = n.path("msg").asText("");
            if (n.hasNonNull("code")) {
                throw new RejectedException(n.get("code").asText(), msg);
            }
            throw new StoreUnavailableException("writer: " + msg, null);
        }
        JsonNode m = n.path("m");
        StoredMessage sm = new StoredMessage(text(m, "conv"), m.path("seq").asLong(), text(m, "id"), text(m, "from"),
                text(m, "body"), m.path("ts").asLong());
        Map<String, Long> cursors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.path("cursors").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            cursors.put(e.getKey(), e.getValue().asLong());
        }
        return new AppendResult(Ack.of(sm), n.path("dup").asBoolean(), sm, cursors);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("append message lacks the text field '" + field + "'");
        }
        return v.asText();
    }

    private static JsonNode parse(byte[] data) {
        try {
            return JSON.readTree(data);
        } catch (IOException e) {
            throw new IllegalArgumentException("append message is not JSON: " + e.getMessage(), e);
        }
    }

    private static byte[] bytes(ObjectNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
