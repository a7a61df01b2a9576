package io.stickyring.chat.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A hand-rolled RFC 6455 client over a plain socket, for what real clients never send: unmasked
 * frames, invalid UTF-8, oversized frames, PROXY headers; and for peers that never answer pings.
 */
final class RawWs implements AutoCloseable {
    record Frame(int opcode, byte[] payload) {
        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
        }

        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    final Socket socket;
    final DataInputStream in;
    final OutputStream out;

    RawWs(int port, byte[] prefix) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        if (prefix != null) {
            out.write(prefix);
        }
        out.write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String head = readHead(in);
        if (!head.startsWith("HTTP/1.1 101")) {
            throw new IOException("handshake failed: " + head);
        }
    }

    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("closed during handshake: " + b);
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    void sendFrame(int opcode, byte[] payload, boolean masked) throws IOException {
        sendFrame(opcode, payload, masked, true);
    }

    void sendFrame(int opcode, byte[] payload, boolean masked, boolean fin) throws IOException {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write((fin ? 0x80 : 0) | opcode);
        int maskBit = masked ? 0x80 : 0;
        if (payload.length < 126) {
            f.write(maskBit | payload.length);
        } else if (payload.length < 65536) {
            f.write(maskBit | 126);
            f.write(payload.length >>> 8);
            f.write(payload.length & 0xff);
        } else {
            f.write(maskBit | 127);
            for (int i = 7; i >= 0; i--) {
                f.write((int) (((long) payload.length >>> (8 * i)) & 0xff));
            }
        }
        byte[] body = payload.clone();
        if (masked) {
            byte[] key = new byte[4];
            ThreadLocalRandom.current().nextBytes(key);
            f.write(key);
            for (int i = 0; i < body.length; i++) {
                body[i] ^= key[i & 3];
            }
        }
        f.write(body);
        out.write(f.toByteArray());
        out.flush();
    }

    void sendText(String s) throws IOException {
        sendFrame(1, s.getBytes(StandardCharsets.UTF_8), true);
    }

    void hello(String token, long cursor) throws IOException {
        sendText(Frames.encode(Frames.frame("hello").put("token", token).put("cursor", cursor)));
    }

    /** The next frame, or null when the connection ended. */
    Frame read() throws IOException {
        int b0;
        try {
            b0 = in.read();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no frame within the socket timeout");
        } catch (IOException e) {
            return null;
        }
        if (b0 < 0) {
            return null;
        }
        int b1 = in.readUnsignedByte();
        long len = b1 & 0x7f;
        if (len == 126) {
            len = in.readUnsignedShort();
        } else if (len == 127) {
            len = in.readLong();
        }
        byte[] payload = new byte[(int) len];
        in.readFully(payload);
        return new Frame(b0 & 0x0f, payload);
    }

    /** Reads until a text frame arrives and returns it as JSON. */
    JsonNode readJson() throws IOException {
        while (true) {
            Frame f = read();
            if (f == null) {
                throw new AssertionError("connection closed while waiting for a text frame");
            }
            if (f.opcode() == 1) {
                return Frames.JSON.readTree(f.text());
            }
        }
    }

    /** Reads until the server's close frame; returns its code (or -1 if the TCP connection just ended). */
    int awaitCloseCode() throws IOException {
        while (true) {
            Frame f = read();
            if (f == null) {
                return -1;
            }
            if (f.opcode() == 8) {
                return f.closeCode();
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
