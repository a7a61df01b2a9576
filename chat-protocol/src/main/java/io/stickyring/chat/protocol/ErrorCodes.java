package io.stickyring.chat.protocol;

import java.util.Set;

/**
 * The {@code code} values of {@code error} frames (and HTTP error bodies); see docs/protocol.md.
 * The node sends them, the client SDK decides on them (which refusals it retries); both read this class.
 */
public final class ErrorCodes {
    public static final String BAD_JSON = "bad_json";
    public static final String UNKNOWN_TYPE = "unknown_type";
    public static final String BAD_REQUEST = "bad_request";
    public static final String NOT_AUTHENTICATED = "not_authenticated";
    public static final String ALREADY_AUTHENTICATED = "already_authenticated";
    public static final String NOT_MEMBER = "not_member";
    public static final String UNKNOWN_CONVERSATION = "unknown_conversation";
    public static final String TOO_LARGE = "too_large";
    public static final String RATE_LIMITED = "rate_limited";
    public static final String TOO_MANY_GROUPS = "too_many_groups";
    public static final String STORE_UNAVAILABLE = "store_unavailable";
    public static final String DRAINING = "draining";
    /** HTTP routing: an unknown path (or dev login on a node without it). */
    public static final String NOT_FOUND = "not_found";
    /** HTTP routing: a known path with the wrong method. */
    public static final String METHOD_NOT_ALLOWED = "method_not_allowed";

    /** Refusals of a {@code send} that stored nothing and may succeed later: resend with the same id. */
    private static final Set<String> RETRIABLE = Set.of(STORE_UNAVAILABLE, RATE_LIMITED, DRAINING);

    private ErrorCodes() {
    }

    /** True when a {@code send} refused with {@code code} may be sent again, unchanged, after a pause. */
    public static boolean retriable(String code) {
        return code != null && RETRIABLE.contains(code);
    }
}
