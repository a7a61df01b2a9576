package io.stickyring.sim.whatif;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stickyring.ring.Node;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The LB's membership as its admin API reports it ({@code GET /members}):
 * {@code {"version": 7, "algorithm": "ring", "members": [{"id", "address", "weight", "state",
 * "connections", "share"}]}}. {@code algorithm} (and {@code vnodes}, {@code maglevTableSize}) are
 * read when present.
 *
 * <p>Invariant: {@link #ringNodes()} is exactly the members the LB hashes new keys to: state
 * ACTIVE (DRAINING and DOWN members take no new keys).
 */
public record LbView(long version, String algorithm, Integer vnodes, Integer maglevTableSize, List<Member> members) {

    /** One member row of /members. */
    public record Member(String id, String address, int weight, String state, long connections, double share, String zone) {
    }

    public LbView {
        members = List.copyOf(members);
    }

    public static LbView parse(String json, String source) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.has("members") || !root.get("members").isArray()) {
            throw new IllegalArgumentException(source + ": expected {\"version\":..., \"members\":[...]}, got "
                    + abbreviate(json));
        }
        List<Member> members = new ArrayList<>();
        int i = 0;
        for (JsonNode m : root.get("members")) {
            String where = source + ": members[" + i++ + "]";
            if (!m.hasNonNull("id")) {
                throw new IllegalArgumentException(where + " has no id: " + m);
            }
            int weight = m.has("weight") ? m.get("weight").asInt(-1) : 1;
            if (weight < 1) {
                throw new IllegalArgumentException(where + ": weight (" + m.get("weight") + ") must be an integer >= 1");
            }
            members.add(new Member(m.get("id").asText(), m.path("address").asText(""), weight,
                    m.path("state").asText("ACTIVE").toUpperCase(), m.path("connections").asLong(0),
                    m.path("share").asDouble(Double.NaN), m.path("zone").isNull() ? "" : m.path("zone").asText("")));
        }
        return new LbView(root.path("version").asLong(-1), root.hasNonNull("algorithm") ? root.get("algorithm").asText() : null,
                root.hasNonNull("vnodes") ? root.get("vnodes").asInt() : null,
                root.hasNonNull("maglevTableSize") ? root.get("maglevTableSize").asInt() : null, members);
    }

    private static String abbreviate(String s) {
        String t = s.strip();
        return t.length() > 120 ? t.substring(0, 120) + "..." : t;
    }

    public List<Node> ringNodes() {
        List<Node> nodes = new ArrayList<>();
        for (Member m : members) {
            if (m.state().equals("ACTIVE")) {
                nodes.add(new Node(m.id(), m.weight()));
            }
        }
        return nodes;
    }

    public long totalConnections() {
        return members.stream().mapToLong(Member::connections).sum();
    }
}
