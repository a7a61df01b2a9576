package io.stickyring.chat.client;

/**
 * What the client knows about its connection: the node that welcomed it, the client IP as that
 * node saw it, the transport, connects so far, and the last close code/reason and backoff delay.
 */
public record ConnectionInfo(String node, String clientIp, String transport, int connects, int lastCloseCode,
                             String lastCloseReason, long nextRetryMillis) {
}
