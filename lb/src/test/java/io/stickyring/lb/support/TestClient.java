package io.stickyring.lb.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * Blocking test client bound to a chosen loopback address (any 127.x.y.z is a distinct client IP).
 * {@link #member()} is the id line the echo backend sent.
 */
public final class TestClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String firstLine;

    public TestClient(String localIp, InetSocketAddress lb, byte[] preamble) throws IOException {
        socket = new Socket();
        socket.setReuseAddress(true);
        socket.setSoTimeout(5000);
        socket.bind(new InetSocketAddress(localIp, 0));
        socket.connect(lb, 5000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        if (preamble != null) {
            out.write(preamble);
            out.flush();
        }
        firstLine = EchoBackend.readLine(in);
    }

    public TestClient(String localIp, InetSocketAddress lb) throws IOException {
        this(localIp, lb, null);
    }

    /** The id (first word of the first line) of the member that answered, or null if closed at once. */
    public String member() {
        return firstLine == null ? null : firstLine.split(" ")[0];
    }

    public String firstLine() {
        return firstLine;
    }

    public Socket socket() {
        return socket;
    }

    /** Sends a line and returns the echo, or null if the connection is closed. */
    public String echo(String line) throws IOException {
        try {
            out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return EchoBackend.readLine(in);
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            return null;
        }
    }

    /** True once the peer has closed (EOF or reset), waiting at most the socket timeout. */
    public boolean closedByPeer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    public InputStream in() {
        return in;
    }

    public OutputStream out() {
        return out;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** The i-th distinct client IP, from 127.10.0.1 upwards (last octet 1..254). */
    public static String ip(int i) {
        return "127." + (10 + i / (254 * 256)) + "." + ((i / 254) % 256) + "." + (1 + i % 254);
    }
}
