package io.stickyring.chat.server;

import io.netty.channel.group.ChannelGroup;
import io.stickyring.chat.auth.TokenService;

/** What every handler of one node shares; built once by {@link ChatNode}, immutable. */
record NodeContext(NodeConfig config, ChatService service, SessionRegistry registry, TokenService tokens,
                   RateLimiter rateLimiter, ChatMetrics metrics, ChannelGroup sessions, StaticFiles staticFiles,
                   java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicInteger> sessionsPerIp,
                   RateLimiter groupRateLimiter) {
}
