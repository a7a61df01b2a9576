package io.stickyring.chat.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.stickyring.chat.protocol.FrameTypes;

/**
 * The frames a client sends on the WebSocket (docs/protocol.md), typed. {@link #parse} does the
 * shape checks that need no session state (a field of the wrong type makes a {@link Malformed}
 * frame, answered with {@code bad_request}); the session applies its state (authenticated?),
 * rate limits and the service's rules. Values a check may refuse stay as sent ({@link Send}'s
 * fields are validated by {@code ChatService.send}).
 */
sealed interface ClientFrame {
    /** The type name counted in {@code frames_in{type}}: known types by name, the rest "unknown". */
    default String label() {
        return Labels.OF.get(getClass());
    }

    /** A record's label is its lower-cased name ({@code Hello} -> "hello"), computed once per class. */
    final class Labels {
        static final ClassValue<String> OF = new ClassValue<>() {
            @Override
            protected String computeValue(Class<?> type) {
                return type.getSimpleName().toLowerCase(java.util.Locale.ROOT);
            }
        };

        private Labels() {
        }
    }

    /** {@code cursor} is null when it is not an integer >= 0 (checked after the token, see the session). */
    record Hello(String token, Long cursor) implements ClientFrame { }

    record Send(String id, String conv, String body) implements ClientFrame { }

    record Sync(long cursor) implements ClientFrame { }

    record Read(String conv, long seq, String ref) implements ClientFrame { }

    record Typing(String conv) implements ClientFrame { }

    /** {@code before} 0 means the latest page. */
    record History(String conv, long before, long limit, String ref) implements ClientFrame { }

    record Leave(String conv, String ref) implements ClientFrame { }

    record Ping(String ref) implements ClientFrame { }

    /** A type this node does not know: answered with {@code unknown_type}. */
    record Unknown(String type, String ref) implements ClientFrame { }

    /** A known type whose fields have the wrong shape: answered with {@code bad_request}. */
    record Malformed(String type, String message, String ref) implements ClientFrame {
        @Override
        public String label() {
            return type;
        }
    }

    /** Types {@code in} by its string field {@code t} (which the caller has checked is present). */
    static ClientFrame parse(String t, JsonNode in) {
        String ref = Frames.text(in, "ref");
        switch (t) {
            case FrameTypes.HELLO:
                return new Hello(Frames.text(in, "token"), Frames.nonNegative(in, "cursor", 0L));
            case FrameTypes.SEND:
                return new Send(Frames.text(in, "id"), Frames.text(in, "conv"), Frames.text(in, "body"));
            case FrameTypes.SYNC: {
                Long cursor = Frames.nonNegative(in, "cursor", null);
                return cursor == null ? new Malformed(t, "sync needs 'cursor', an integer >= 0", null) : new Sync(cursor);
            }
            case FrameTypes.READ: {
                Long seq = Frames.nonNegative(in, "seq", null);
                String conv = Frames.text(in, "conv");
                return seq == null || conv == null ? new Malformed(t, "read needs 'conv' and 'seq'", ref) : new Read(conv, seq, ref);
            }
            case FrameTypes.TYPING: {
                String conv = Frames.text(in, "conv");
                return conv == null ? new Malformed(t, "typing needs 'conv'", null) : new Typing(conv);
            }
            case FrameTypes.HISTORY: {
                String conv = Frames.text(in, "conv");
                Long before = Frames.nonNegative(in, "before", 0L);
                Long limit = Frames.nonNegative(in, "limit", 50L);
                return conv == null || before == null || limit == null
                        ? new Malformed(t, "history needs 'conv' and optional integers 'before', 'limit'", ref)
                        : new History(conv, before, limit, ref);
            }
            case FrameTypes.LEAVE: {
                String conv = Frames.text(in, "conv");
                return conv == null ? new Malformed(t, "leave needs 'conv', a group id", ref) : new Leave(conv, ref);
            }
            case FrameTypes.PING:
                return new Ping(ref);
            default:
                return new Unknown(t, ref);
        }
    }
}
