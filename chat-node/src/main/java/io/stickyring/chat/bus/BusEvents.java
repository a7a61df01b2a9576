package io.stickyring.chat.bus;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.stickyring.chat.model.StoredMessage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Wire forms of {@link BusEvent}s for buses that leave the process (NATS): one event as JSON (a
 * user's subject, readable by every node version), and a batch of events in a compact binary
 * frame (one node's subject: every event of one publish for users on that node).
 *
 * <p>Batch frame: byte {@link #BATCH_VERSION}, int count, then per event a kind byte ('d', 'r',
 * 't'), the user and the kind's fields: strings as int length + UTF-8 bytes, numbers as 8-byte
 * longs (big-endian). Example: one delivery to "bob" of message 7 of "dm:a:b" is 1 + 4 + 1 +
 * (4+3) + 8 + (4+6) + 8 + ... bytes, against ~120 bytes of JSON.
 */
public final class BusEvents {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** First byte of a batch frame (a JSON event starts with '{'). */
    static final byte BATCH_VERSION = 1;

    private BusEvents() {
    }

    public static byte[] encode(BusEvent e) {
        try {
            return JSON.writerFor(BusEvent.class).writeValueAsBytes(e);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    public static BusEvent decode(byte[] bytes) {
        try {
            return JSON.readValue(bytes, BusEvent.class);
        } catch (IOException ex) {
            throw new UncheckedIOException("undecodable bus event: " + ex.getMessage(), ex);
        }
    }

    /** Several events (any users, any kinds) as one binary batch frame, in order. */
    public static byte[] encodeBatch(List<? extends BusEvent> events) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 160 * events.size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(BATCH_VERSION);
            out.writeInt(events.size());
            for (BusEvent e : events) {
                if (e instanceof BusEvent.Delivery d) {
                    out.writeByte('d');
                    string(out, d.user());
                    out.writeLong(d.cursor());
                    StoredMessage m = d.message();
                    string(out, m.conv());
                    out.writeLong(m.seq());
                    string(out, m.id());
                    string(out, m.from());
                    string(out, m.body());
                    out.writeLong(m.ts());
                } else if (e instanceof BusEvent.Receipt r) {
                    out.writeByte('r');
                    string(out, r.user());
                    string(out, r.conv());
                    string(out, r.reader());
                    out.writeLong(r.seq());
                } else if (e instanceof BusEvent.Typing t) {
                    out.writeByte('t');
                    string(out, t.user());
                    string(out, t.conv());
                    string(out, t.from());
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    /** The events of a batch frame, in order; {@link IllegalArgumentException} naming what is wrong. */
    public static List<BusEvent> decodeBatch(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            byte version = in.get();
            if (version != BATCH_VERSION) {
                throw new IllegalArgumentException("bus batch version (" + version + ") must be " + BATCH_VERSION);
            }
            int count = in.getInt();
            if (count < 0 || count > bytes.length) {
                throw new IllegalArgumentException("bus batch count (" + count + ") does not fit its " + bytes.length + " bytes");
            }
            List<BusEvent> events = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                byte kind = in.get();
                String user = string(in);
                events.add(switch (kind) {
                    case 'd' -> {
                        long cursor = in.getLong();
                        StoredMessage m = new StoredMessage(string(in), in.getLong(), string(in), string(in), string(in), in.getLong());
                        yield new BusEvent.Delivery(user, cursor, m);
                    }
                    case 'r' -> new BusEvent.Receipt(user, string(in), string(in), in.getLong());
                    case 't' -> new BusEvent.Typing(user, string(in), string(in));
                    default -> throw new IllegalArgumentException("bus batch event kind (" + kind + ") must be d, r or t");
                });
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("bus batch has " + in.remaining() + " bytes after its " + count + " events");
            }
            return events;
        } catch (BufferUnderflowException ex) {
            throw new IllegalArgumentException("bus batch of " + bytes.length + " bytes is truncated", ex);
        }
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String string(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("bus batch string length (" + n + ") exceeds the " + in.remaining() + " bytes left");
        }
        String s = new String(in.array(), in.position(), n, StandardCharsets.UTF_8);
        in.position(in.position() + n);
        return s;
    }
}
