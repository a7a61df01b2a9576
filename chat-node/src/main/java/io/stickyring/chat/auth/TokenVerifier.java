package io.stickyring.chat.auth;

import java.util.Optional;

/**
 * The one check every way into a node makes (WebSocket {@code hello}, HTTP {@code Authorization:
 * Bearer}): a token in, the user id it proves out. Empty means refuse (close 1008 / HTTP 401); the
 * reason is never told to the caller.
 */
public interface TokenVerifier {
    /** The user ({@code sub}) of a valid token; empty for a missing, malformed, forged or stale one. */
    Optional<String> verify(String token);
}
