package io.stickyring.chat.model;

import java.util.List;

/** A conversation and its members (sorted). Direct conversations exist implicitly. */
public record Conversation(String id, Kind kind, String title, List<String> members) {
    public enum Kind { DIRECT, GROUP }

    public Conversation {
        members = List.copyOf(members);
    }

    public boolean hasMember(String user) {
        return members.contains(user);
    }

    /** This conversation with {@code user} no longer a member. */
    public Conversation without(String user) {
        return new Conversation(id, kind, title, members.stream().filter(m -> !m.equals(user)).toList());
    }
}
