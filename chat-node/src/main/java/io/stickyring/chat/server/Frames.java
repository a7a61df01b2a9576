package io.stickyring.chat.server;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stickyring.chat.model.Ack;
import io.stickyring.chat.model.Conversation;
import io.stickyring.chat.model.RejectedException;
import io.stickyring.chat.model.StoredMessage;
import io.stickyring.chat.protocol.ErrorCodes;
import io.stickyring.chat.protocol.FrameTypes;
import java.util.List;

/**
 * Builders for the JSON frames of docs/protocol.md (field {@code t} is the type, named by
 * chat-protocol's {@link FrameTypes}, which the Java client reads too). The same shapes are used by
 * the WebSocket and the HTTP API, so a client can switch transports without remapping.
 */
public final class Frames {
    public static final ObjectMapper JSON = new ObjectMapper();
    /** Client input: one JSON value, no duplicate keys, nothing after it. */
    private static final ObjectReader STRICT = JSON.reader()
            .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Frames() {
    }

    public static ObjectNode frame(String type) {
        ObjectNode n = JSON.createObjectNode();
        n.put(FrameTypes.FIELD, type);
        return n;
    }

    public static ObjectNode welcome(String user, String node, long cursor, String ip) {
        ObjectNode n = frame(FrameTypes.WELCOME);
        n.put("user", user);
        n.put("node", node);
        n.put("cursor", cursor);
        if (ip != null) {
            n.put("ip", ip);
        }
        return n;
    }

    public static ObjectNode ack(Ack a) {
        ObjectNode n = frame(FrameTypes.ACK);
        n.put("id", a.id());
        n.put("conv", a.conv());
        n.put("seq", a.seq());
        n.put("ts", a.ts());
        return n;
    }

    public static ObjectNode msg(StoredMessage m, long cursor) {
        ObjectNode n = frame(FrameTypes.MSG);
        n.setAll(message(m));
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
        return frame(FrameTypes.SYNCED).put("cursor", cursor);
    }

    public static ObjectNode receipt(String conv, String user, long seq) {
        return frame(FrameTypes.RECEIPT).put("conv", conv).put("user", user).put("seq", seq);
    }

    public static ObjectNode typing(String conv, String from) {
        return frame(FrameTypes.TYPING).put("conv", conv).put("from", from);
    }

    /**
     * A history page of at most {@code maxBytes} of encoded messages: the newest of {@code messages}
     * (ascending by seq) that fit, at least one. When older ones were cut, {@code more} is true and the
     * client asks again with {@code before} = the first returned seq.
     */
    public static ObjectNode history(String conv, long before, List<StoredMessage> messages, String ref, int maxBytes) {
        ObjectNode n = frame(FrameTypes.HISTORY);
        n.put("conv", conv);
        n.put("before", before);
        int from = messages.size();
        long bytes = 0;
        while (from > 0) {
            long size = encodedSize(message(messages.get(from - 1)));
            if (from < messages.size() && bytes + size > maxBytes) {
                break;
            }
            bytes += size;
            from--;
        }
        ArrayNode arr = n.putArray("messages");
        messages.subList(from, messages.size()).forEach(m -> arr.add(message(m)));
        n.put("more", from > 0);
        if (ref != null) {
            n.put("ref", ref);
        }
        return n;
    }

    /** UTF-8 bytes of {@code n} encoded (plus one for the separating comma). */
    public static long encodedSize(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n).length + 1L;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The answer to {@code leave}: the user is no longer a member of {@code conv}. */
    public static ObjectNode left(String conv, String ref) {
        ObjectNode f = frame(FrameTypes.LEFT).put("conv", conv);
        if (ref != null) {
            f.put("ref", ref);
        }
        return f;
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
        ObjectNode n = frame(FrameTypes.ERROR);
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

    /**
     * Parses a client frame or request body. Refuses with {@code bad_json} what is not JSON or not
     * an object, and with {@code bad_request} JSON that is ambiguous or cannot be stored faithfully:
     * duplicate keys, anything after the object, a lone UTF-16 surrogate in a string or key.
     */
    public static ObjectNode parseObject(String text) {
        JsonNode n;
        try {
            n = STRICT.readTree(text);
        } catch (Exception strictFailure) {
            // Tell "not JSON at all" from "JSON we refuse to guess about" with a second, lenient parse.
            if (parsesLeniently(text)) {
                throw new RejectedException(ErrorCodes.BAD_REQUEST, "JSON with duplicate keys or trailing content is refused");
            }
            throw new RejectedException(ErrorCodes.BAD_JSON, "frame or body is not a JSON object");
        }
        if (n == null || !n.isObject()) {
            throw new RejectedException(ErrorCodes.BAD_JSON, "frame or body is not a JSON object");
        }
        String bad = firstBadString(n);
        if (bad != null) {
            throw new RejectedException(ErrorCodes.BAD_REQUEST, "a string contains a lone UTF-16 surrogate (" + bad + ")");
        }
        return (ObjectNode) n;
    }

    private static boolean parsesLeniently(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            return n != null && n.isObject();
        } catch (Exception e) {
            return false;
        }
    }

    /** The first key or string value with an unpaired surrogate (escaped for the message), or null. */
    private static String firstBadString(JsonNode n) {
        if (n.isTextual()) {
            return wellFormed(n.textValue()) ? null : escape(n.textValue());
        }
        if (n.isObject()) {
            for (var it = n.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!wellFormed(e.getKey())) {
                    return escape(e.getKey());
                }
                String bad = firstBadString(e.getValue());
                if (bad != null) {
                    return bad;
                }
            }
        } else if (n.isArray()) {
            for (JsonNode c : n) {
                String bad = firstBadString(c);
                if (bad != null) {
                    return bad;
                }
            }
        }
        return null;
    }

    /** True when every surrogate in {@code s} is part of a high-low pair (the string is valid UTF-16). */
    public static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 40; i++) {
            char c = s.charAt(i);
            b.append(Character.isSurrogate(c) || c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }

    public static String encode(JsonNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
