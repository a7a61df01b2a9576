package io.stickyring.chat.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.stickyring.chat.auth.TokenService;
import io.stickyring.chat.bus.LocalMessageBus;
import io.stickyring.chat.store.MessageStore;
import io.stickyring.chat.store.SqliteMessageStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The parts of one node a session handler needs, without sockets: a real SQLite store whose
 * answers the test releases ({@link HeldStore}), the in-process bus, a direct executor. Sessions
 * are {@link EmbeddedChannel}s, so a whole exchange runs on the test thread, step by step.
 */
final class EmbeddedNode implements AutoCloseable {
    final NodeConfig config;
    final ChatMetrics metrics = new ChatMetrics();
    final HeldStore held;
    final MessageStore store;
    /** The node's bus: a test hands its sink an event with {@code bus.publish}. */
    final LocalMessageBus bus = new LocalMessageBus();
    final ChatService service;
    final TokenService tokens;
    final NodeContext context;
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    EmbeddedNode(Path dir, Consumer<NodeConfig.Builder> change) {
        config = TestNodes.config(dir, "e1").with(change).build();
        held = new HeldStore(new SqliteMessageStore(SqliteMessageStore.Config.defaults(dir.resolve("e1.db")), Clock.systemUTC(), metrics));
        store = held.store;
        service = new ChatService(store, bus, Runnable::run, config, metrics);
        tokens = new TokenService(config.tokenSettings(), Clock.systemUTC());
        context = new NodeContext(config, service, service.registry(), tokens,
                new RateLimiter(config.ratePerSecond(), config.rateBurst(), System::nanoTime), metrics,
                new DefaultChannelGroup(GlobalEventExecutor.INSTANCE), new StaticFiles("web"), new ConcurrentHashMap<>(),
                new RateLimiter(1, 1, System::nanoTime));
    }

    /** A session right after its WebSocket handshake (time frozen: timers fire only when advanced). */
    EmbeddedChannel session() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new WebSocketSessionHandler(context));
        ch.pipeline().fireUserEventTriggered(new WebSocketServerProtocolHandler.HandshakeComplete("/ws", EmptyHttpHeaders.INSTANCE, null));
        channels.add(ch);
        return ch;
    }

    /** A session that sent hello for {@code user} and got its welcome (consumed). */
    EmbeddedChannel login(String user, long cursor) {
        EmbeddedChannel ch = session();
        send(ch, Frames.frame("hello").put("token", tokens.issue(user)).put("cursor", cursor));
        JsonNode w = next(ch);
        if (!"welcome".equals(w.path("t").asText())) {
            throw new AssertionError("expected welcome, got " + w);
        }
        return ch;
    }

    void send(EmbeddedChannel ch, ObjectNode frame) {
        ch.writeInbound(new TextWebSocketFrame(Frames.encode(frame)));
        settle();
    }

    /** Answers held store writes and runs every channel's tasks until nothing is left to do. */
    void settle() {
        // Tasks of one channel may queue tasks on another (a send fans out to other sessions).
        for (int round = 0; round < 100; round++) {
            boolean any = held.release();
            for (EmbeddedChannel c : channels) {
                any |= c.hasPendingTasks();
                c.runPendingTasks();
            }
            if (!any) {
                return;
            }
        }
        throw new AssertionError("still busy after 100 rounds");
    }

    /** The next text frame written to {@code ch}, as JSON; fails when there is none. */
    JsonNode next(EmbeddedChannel ch) {
        settle();
        Object o = ch.readOutbound();
        if (!(o instanceof TextWebSocketFrame f)) {
            throw new AssertionError("expected a text frame, got " + o);
        }
        try {
            return Frames.JSON.readTree(f.text());
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            f.release();
        }
    }

    /** The frame types written to {@code ch} so far, in order (consumed). */
    List<String> types(EmbeddedChannel ch) {
        settle();
        List<String> out = new ArrayList<>();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            if (o instanceof TextWebSocketFrame f) {
                try {
                    out.add(Frames.JSON.readTree(f.text()).path("t").asText());
                } catch (Exception e) {
                    throw new AssertionError(e);
                } finally {
                    f.release();
                }
            } else if (o instanceof WebSocketFrame f) {
                out.add(f.getClass().getSimpleName());
                f.release();
            }
        }
        return out;
    }

    /** The close frame written to {@code ch} (skipping text frames before it); fails when there is none. */
    CloseWebSocketFrame closeFrame(EmbeddedChannel ch) {
        settle();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            if (o instanceof CloseWebSocketFrame c) {
                return c;
            }
            if (o instanceof WebSocketFrame f) {
                f.release();
            }
        }
        throw new AssertionError("no close frame written");
    }

    @Override
    public void close() {
        for (EmbeddedChannel c : channels) {
            c.finishAndReleaseAll();
        }
        tokens.close();
        store.close();
    }
}
