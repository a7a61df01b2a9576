package io.stickyring.chat.model;

import java.util.Objects;

/**
 * One send as the store sees it: {@code (sender, clientId)} is the idempotence key, so a resend of
 * the same client id by the same sender maps to the message stored the first time.
 */
public record SendRequest(String sender, String clientId, String conv, String body) {
    public SendRequest {
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(conv, "conv");
        Objects.requireNonNull(body, "body");
    }
}
