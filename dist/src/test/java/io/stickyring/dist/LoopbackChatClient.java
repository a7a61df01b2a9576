package io.stickyring.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A chat client for whole-system tests that connects FROM a chosen loopback address (any
 * 127.x.y.z is a distinct client IP to the LB): HTTP login over a plain socket, WebSocket through
 * Netty with the local address bound. Collects every text frame as JSON.
 */
final class LoopbackChatClient implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    /** Shared by every test client; daemon threads, so it never holds the test JVM open. */
    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-ws-client", true),
            NioIoHandler.newFactory());

    final String clientIp;
    final LinkedBlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    /** Completes with the close code (or -1: TCP closed without a close frame) when the connection ends. */
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final Channel channel;
    private volatile int closeCode = -1;
    JsonNode welcome;

    /** {@code POST /api/login {user}} through {@code lb} from {@code clientIp}; answers the token. */
    static String login(InetSocketAddress lb, String clientIp, String user) throws IOException {
        byte[] body = JSON.writeValueAsBytes(JSON.createObjectNode().put("user", user));
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(clientIp, 0));
            s.connect(lb, 5000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /api/login HTTP/1.1\r\nHost: " + lb.getHostString() + ":" + lb.getPort()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            String response = readAll(s.getInputStream());
            int split = response.indexOf("\r\n\r\n");
            if (!response.startsWith("HTTP/1.1 200") || split < 0) {
                throw new IOException("login of " + user + " from " + clientIp + " failed: " + response);
            }
            return JSON.readTree(response.substring(split + 4)).path("token").asText();
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        in.transferTo(buf);
        return buf.toString(StandardCharsets.UTF_8);
    }

    private LoopbackChatClient(InetSocketAddress lb, String clientIp) throws InterruptedException {
        this.clientIp = clientIp;
        URI uri = URI.create("ws://" + lb.getHostString() + ":" + lb.getPort() + "/ws");
        CompletableFuture<Void> handshake = new CompletableFuture<>();
        WebSocketClientProtocolHandler ws = new WebSocketClientProtocolHandler(WebSocketClientHandshakerFactory.newHandshaker(
                uri, WebSocketVersion.V13, null, false, new DefaultHttpHeaders(), 1 << 20), false); // close frames reach us
        Bootstrap b = new Bootstrap().group(GROUP).channel(NioSocketChannel.class).handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20), ws,
                        new SimpleChannelInboundHandler<WebSocketFrame>() {
                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
                                if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                                    handshake.complete(null);
                                }
                                super.userEventTriggered(ctx, evt);
                            }

                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame f) throws Exception {
                                if (f instanceof TextWebSocketFrame t) {
                                    frames.add(JSON.readTree(t.text()));
                                } else if (f instanceof CloseWebSocketFrame c) {
                                    closeCode = c.statusCode();
                                    ctx.close();
                                }
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                handshake.completeExceptionally(new IOException("closed during the handshake"));
                                closed.complete(closeCode);
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                handshake.completeExceptionally(cause);
                                ctx.close();
                            }
                        });
            }
        });
        this.channel = b.connect(lb, new InetSocketAddress(clientIp, 0)).sync().channel();
        handshake.orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** Opens a WebSocket through {@code lb} from {@code clientIp} and completes hello; {@link #welcome} holds the answer. */
    static LoopbackChatClient connect(InetSocketAddress lb, String clientIp, String token, long cursor) throws InterruptedException {
        LoopbackChatClient c = new LoopbackChatClient(lb, clientIp);
        c.send(JSON.createObjectNode().put("t", "hello").put("token", token).put("cursor", cursor));
        c.welcome = c.next("welcome", Duration.ofSeconds(10));
        return c;
    }

    void send(ObjectNode frame) {
        channel.writeAndFlush(new TextWebSocketFrame(frame.toString())).syncUninterruptibly();
    }

    /** The first client address in 127.0.0.3..254 that {@code wanted} accepts (e.g. one the LB puts on another node). */
    static String firstIp(java.util.function.Predicate<String> wanted) {
        for (int i = 3; i < 255; i++) {
            String ip = "127.0.0." + i;
            if (wanted.test(ip)) {
                return ip;
            }
        }
        throw new AssertionError("no client IP in 127.0.0.3..254 fits");
    }

    /**
     * Sends a message and returns its ack, skipping any other frames that arrive first, except the
     * sender's own {@code msg} of this id: the ack and the push to the sender's devices both follow
     * the commit from different threads, so the own push may come first (docs/protocol.md); it is
     * kept for the next {@link #next} call instead of being lost.
     */
    JsonNode sendAndAwaitAck(String conv, String body) {
        String id = UUID.randomUUID().toString();
        send(JSON.createObjectNode().put("t", "send").put("id", id).put("conv", conv).put("body", body));
        java.util.List<JsonNode> upToAck = until("ack", Duration.ofSeconds(10));
        JsonNode ack = upToAck.get(upToAck.size() - 1);
        if (!ack.path("id").asText().equals(id)) {
            throw new AssertionError("ack for another id: " + ack);
        }
        for (JsonNode f : upToAck) {
            if (f.path("t").asText().equals("msg") && f.path("id").asText().equals(id)) {
                held.add(f);
            }
        }
        return ack;
    }

    /** Own pushes that arrived before their ack (see {@link #sendAndAwaitAck}), served first by {@link #next}. */
    private final java.util.ArrayDeque<JsonNode> held = new java.util.ArrayDeque<>();

    /** The next frame of {@code type}, skipping others (msg echoes, receipts, ...), within {@code timeout}. */
    JsonNode next(String type, Duration timeout) {
        for (java.util.Iterator<JsonNode> it = held.iterator(); it.hasNext(); ) {
            JsonNode h = it.next();
            if (h.path("t").asText().equals(type)) {
                it.remove();
                return h;
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                JsonNode n = left <= 0 ? null : frames.poll(left, TimeUnit.NANOSECONDS);
                if (n == null) {
                    throw new AssertionError(clientIp + ": no '" + type + "' frame within " + timeout.toMillis() + " ms");
                }
                if (n.path("t").asText().equals("error")) {
                    throw new AssertionError(clientIp + ": server error while waiting for '" + type + "': " + n);
                }
                if (n.path("t").asText().equals(type)) {
                    return n;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Every frame up to and including the next one of {@code type}, within {@code timeout}. */
    java.util.List<JsonNode> until(String type, Duration timeout) {
        java.util.List<JsonNode> out = new java.util.ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                JsonNode n = left <= 0 ? null : frames.poll(left, TimeUnit.NANOSECONDS);
                if (n == null) {
                    throw new AssertionError(clientIp + ": no '" + type + "' frame within " + timeout.toMillis() + " ms; got " + out);
                }
                out.add(n);
                if (n.path("t").asText().equals(type)) {
                    return out;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    boolean isOpen() {
        return channel.isActive();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
