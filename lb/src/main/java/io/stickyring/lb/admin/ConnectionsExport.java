package io.stickyring.lb.admin;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import io.stickyring.lb.route.TrackedConnection;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.Locale;

/**
 * The body of {@code GET /connections}, produced chunk by chunk as the admin channel drains: JSON
 * ({@code {"connections":[{client, member, since, bytesIn, bytesOut}...],"count":N}}) or CSV
 * ({@code ip,member} lines after an {@code ip,member} header, the format {@code sim whatif} reads).
 *
 * <p>Invariant: memory is bounded by one chunk ({@link #CHUNK_BYTES} plus one entry) whatever the
 * number of connections: the live set is walked with its weakly consistent iterator, never copied,
 * and {@code ChunkedWriteHandler} asks for the next chunk only when the channel is writable. A
 * connection opened or closed during the walk may or may not be listed; none is listed twice.
 */
final class ConnectionsExport implements ChunkedInput<ByteBuf> {

    /** Target size of one chunk; a chunk ends after the entry that crosses it. */
    static final int CHUNK_BYTES = 32 * 1024;

    enum Format {
        JSON, CSV;

        /** Parses the {@code format} query parameter; null means JSON. */
        static Format parse(String v) {
            if (v == null) {
                return JSON;
            }
            return switch (v.toLowerCase(Locale.ROOT)) {
                case "json" -> JSON;
                case "csv" -> CSV;
                default -> throw new IllegalArgumentException("format (" + v + ") must be json or csv");
            };
        }
    }

    private final Iterator<? extends TrackedConnection> it;
    private final String member;
    private final Format format;
    private final long nowMillis = System.currentTimeMillis();
    private final long nowNanos = System.nanoTime();
    private final StringBuilder sb = new StringBuilder(CHUNK_BYTES + 256);
    private boolean started;
    private boolean ended;
    private long count;

    /** @param member only this member's connections; null = all */
    ConnectionsExport(Iterable<? extends TrackedConnection> connections, String member, Format format) {
        this.it = connections.iterator();
        this.member = member;
        this.format = format;
    }

    String contentType() {
        return format == Format.CSV ? "text/csv; charset=utf-8" : "application/json";
    }

    @Override
    public boolean isEndOfInput() {
        return ended;
    }

    @Override
    public void close() {
        ended = true;
    }

    @Deprecated
    @Override
    public ByteBuf readChunk(ChannelHandlerContext ctx) {
        return readChunk(ctx.alloc());
    }

    @Override
    public ByteBuf readChunk(ByteBufAllocator alloc) {
        if (ended) {
            return null;
        }
        sb.setLength(0);
        if (!started) {
            started = true;
            sb.append(format == Format.JSON ? "{\"connections\":[" : "ip,member\n");
        }
        while (sb.length() < CHUNK_BYTES && it.hasNext()) {
            TrackedConnection c = it.next();
            String m = c.memberId();
            InetSocketAddress client = c.client();
            if (m == null || client == null || (member != null && !member.equals(m))) {
                continue; // not yet connected to a member, or filtered out
            }
            String ip = client.getAddress().getHostAddress();
            if (format == Format.CSV) {
                sb.append(ip).append(',').append(m).append('\n');
            } else {
                if (count > 0) {
                    sb.append(',');
                }
                long sinceMillis = nowMillis - (nowNanos - c.startNanos()) / 1_000_000;
                sb.append("\n{\"client\":\"");
                if (client.getAddress() instanceof Inet6Address) {
                    sb.append('[').append(ip).append("]:");
                } else {
                    sb.append(ip).append(':');
                }
                sb.append(client.getPort()).append("\",\"member\":\"");
                JsonStringEncoder.getInstance().quoteAsString(m, sb);
                sb.append("\",\"since\":\"").append(Instant.ofEpochMilli(sinceMillis))
                        .append("\",\"bytesIn\":").append(c.bytesToMember())
                        .append(",\"bytesOut\":").append(c.bytesFromMember()).append('}');
            }
            count++;
        }
        if (!it.hasNext()) {
            ended = true;
            if (format == Format.JSON) {
                sb.append("],\"count\":").append(count).append("}\n");
            }
        }
        ByteBuf buf = alloc.buffer(sb.length() + 16);
        buf.writeCharSequence(sb, StandardCharsets.UTF_8);
        return buf;
    }

    @Override
    public long length() {
        return -1;
    }

    /** Connections written so far. */
    @Override
    public long progress() {
        return count;
    }
}
