package io.stickyring.membership.zk;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import java.io.IOException;
import java.util.Objects;

/**
 * The JSON payload of one member znode, and its strict decoder.
 *
 * <p>Schema (docs/membership.md): {@code id} (string, equal to the znode name), {@code host}
 * (string), {@code port} (int 1..65535), {@code weight} (int >= 1), {@code state} ("ACTIVE",
 * "DRAINING" or "MAINT") are required; {@code zone}, {@code startedAt} (epoch ms), {@code version} (software
 * version) and {@code instance} (random id of the registering process) are optional. Unknown
 * fields are ignored, so a newer writer can add fields without breaking older readers.
 *
 * <p>Invariant: {@link #decode} either returns a valid {@link Member} or throws
 * {@link BadPayloadException} with a reason naming the bad field and value; it never returns a
 * partly-filled member.
 *
 * @param member   the member as the ring sees it
 * @param instance the registering process's instance id ("" when absent): tells "my own znode from
 *                 an earlier session" apart from "another process with the same member id"
 */
public record MemberPayload(Member member, String instance) {

    /** Largest payload decoded; larger znodes are rejected without parsing. A real payload is ~200 bytes. */
    public static final int MAX_BYTES = 16 * 1024;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    public MemberPayload {
        Objects.requireNonNull(member, "member");
        instance = instance == null ? "" : instance;
    }

    /** A payload that cannot become a member; the message says why. */
    public static final class BadPayloadException extends Exception {
        private static final long serialVersionUID = 1L;

        public BadPayloadException(String reason) {
            super(reason);
        }
    }

    public byte[] encode() {
        return toJson().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    ObjectNode toJson() {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("id", member.id());
        node.put("host", member.host());
        node.put("port", member.port());
        node.put("weight", member.weight());
        node.put("state", member.state().name());
        node.put("zone", member.zone());
        node.put("startedAt", member.startedAtMillis());
        node.put("version", member.version());
        node.put("instance", instance);
        return node;
    }

    /**
     * Decodes the payload of znode {@code name}.
     *
     * @throws BadPayloadException naming the problem: too large, not JSON, missing or wrongly typed
     *                             field, out-of-range value, id different from the znode name
     */
    public static MemberPayload decode(String name, byte[] data) throws BadPayloadException {
        JsonNode root = parseObject(data);
        String id = requiredText(root, "id");
        if (!id.equals(name)) {
            throw new BadPayloadException("id '" + id + "' differs from the znode name '" + name + "'");
        }
        String host = requiredText(root, "host");
        int port = requiredInt(root, "port");
        int weight = requiredInt(root, "weight");
        String stateText = requiredText(root, "state");
        MemberState state;
        try {
            state = MemberState.valueOf(stateText);
        } catch (IllegalArgumentException e) {
            throw new BadPayloadException("state '" + stateText + "' is not ACTIVE, DRAINING or MAINT");
        }
        String zone = optionalText(root, "zone");
        long startedAt = optionalLong(root, "startedAt");
        String version = optionalText(root, "version");
        String instance = optionalText(root, "instance");
        try {
            return new MemberPayload(new Member(id, host, port, weight, state, zone, startedAt, version), instance);
        } catch (IllegalArgumentException e) {
            throw new BadPayloadException(e.getMessage());
        }
    }

    /** Parses {@code data} as a JSON object for in-place edits that keep unknown fields. */
    static ObjectNode parseObject(byte[] data) throws BadPayloadException {
        if (data == null) {
            throw new BadPayloadException("no payload");
        }
        if (data.length > MAX_BYTES) {
            throw new BadPayloadException("payload of " + data.length + " bytes exceeds the limit of " + MAX_BYTES + " bytes");
        }
        if (data.length == 0) {
            throw new BadPayloadException("not JSON: empty payload");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(data);
        } catch (JsonProcessingException e) {
            throw new BadPayloadException("not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadPayloadException("not JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new BadPayloadException("not a JSON object");
        }
        return (ObjectNode) root;
    }

    static byte[] toBytes(ObjectNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize member payload", e);
        }
    }

    private static String requiredText(JsonNode root, String field) throws BadPayloadException {
        JsonNode value = root.get(field);
        if (value == null || value.isNull()) {
            throw new BadPayloadException("missing field '" + field + "'");
        }
        if (!value.isTextual()) {
            throw new BadPayloadException("field '" + field + "' (" + value + ") is not a string");
        }
        return value.textValue();
    }

    private static int requiredInt(JsonNode root, String field) throws BadPayloadException {
        JsonNode value = root.get(field);
        if (value == null || value.isNull()) {
            throw new BadPayloadException("missing field '" + field + "'");
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new BadPayloadException("field '" + field + "' (" + value + ") is not a 32-bit integer");
        }
        return value.intValue();
    }

    private static String optionalText(JsonNode root, String field) throws BadPayloadException {
        JsonNode value = root.get(field);
        if (value == null || value.isNull()) {
            return "";
        }
        if (!value.isTextual()) {
            throw new BadPayloadException("field '" + field + "' (" + value + ") is not a string");
        }
        return value.textValue();
    }

    private static long optionalLong(JsonNode root, String field) throws BadPayloadException {
        JsonNode value = root.get(field);
        if (value == null || value.isNull()) {
            return 0L;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new BadPayloadException("field '" + field + "' (" + value + ") is not a 64-bit integer");
        }
        return value.longValue();
    }
}
