package io.stickyring.chat.model;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Conversation and user id rules shared by every store and the server. A direct conversation
 * between users a and b is {@code dm:<a>:<b>} with a &lt; b lexically (so both users name it the
 * same way); group ids start with {@code g:}. User ids never contain ':'.
 */
public final class Conversations {
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9_.@-]{1,64}");
    public static final int MAX_ID_LENGTH = 200;

    private Conversations() {
    }

    public static boolean validUser(String user) {
        return user != null && USER.matcher(user).matches();
    }

    /** The direct conversation id of two distinct valid users. */
    public static String dmId(String a, String b) {
        if (!validUser(a) || !validUser(b) || a.equals(b)) {
            throw new IllegalArgumentException("direct conversation needs two distinct valid users, got '" + a + "' and '" + b + "'");
        }
        return a.compareTo(b) < 0 ? "dm:" + a + ":" + b : "dm:" + b + ":" + a;
    }

    /** The direct conversation for this id, if it is a well-formed {@code dm:<a>:<b>} with a &lt; b. */
    public static Optional<Conversation> parseDirect(String id) {
        if (id == null || !id.startsWith("dm:")) {
            return Optional.empty();
        }
        String[] parts = id.split(":", -1);
        if (parts.length != 3 || !validUser(parts[1]) || !validUser(parts[2]) || parts[1].compareTo(parts[2]) >= 0) {
            return Optional.empty();
        }
        return Optional.of(new Conversation(id, Conversation.Kind.DIRECT, "", List.of(parts[1], parts[2])));
    }

    public static boolean isGroupId(String id) {
        return id != null && id.startsWith("g:") && id.length() > 2 && id.length() <= MAX_ID_LENGTH;
    }
}
