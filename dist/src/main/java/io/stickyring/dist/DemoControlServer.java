package io.stickyring.dist;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo's own control endpoint on 127.0.0.1 (independent of the LB, so it works while the LB is
 * busy or a node is gone): {@code GET /status}, {@code POST /nodes/ID/kill[?signal=KILL]},
 * {@code POST /nodes/ID/start}. JSON answers; a bad node id is a 404 naming the id, a node in the
 * wrong state a 409.
 *
 * <p>Invariant: loopback only, one request at a time (kill and start of the same node never race).
 */
final class DemoControlServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NODE_ACTION = Pattern.compile("/nodes/([^/]+)/(kill|start)");

    private final HttpServer server;
    private final ExecutorService executor;

    private DemoControlServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    static DemoControlServer start(Demo demo, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "demo-control");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", ex -> handle(demo, ex));
        server.start();
        return new DemoControlServer(server, executor);
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    private static void handle(Demo demo, HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            if (path.equals("/status")) {
                if (!method.equals("GET")) {
                    reply(ex, 405, message(false, "use GET /status"));
                    return;
                }
                reply(ex, 200, status(demo));
                return;
            }
            Matcher m = NODE_ACTION.matcher(path);
            if (!m.matches()) {
                reply(ex, 404, message(false, "unknown path " + path + " (try GET /status, POST /nodes/ID/kill[?signal=KILL], POST /nodes/ID/start)"));
                return;
            }
            if (!method.equals("POST")) {
                reply(ex, 405, message(false, "use POST " + path));
                return;
            }
            String id = m.group(1);
            boolean force;
            try {
                force = forced(ex.getRequestURI().getQuery());
            } catch (IllegalArgumentException e) {
                reply(ex, 400, message(false, e.getMessage()));
                return;
            }
            try {
                String answer = m.group(2).equals("start") ? demo.start(id) : demo.kill(id, force);
                reply(ex, 200, message(true, answer));
            } catch (IllegalArgumentException e) {
                reply(ex, 404, message(false, e.getMessage()));
            } catch (IllegalStateException e) {
                reply(ex, 409, message(false, e.getMessage()));
            }
        } catch (RuntimeException e) {
            reply(ex, 500, message(false, e.toString()));
        }
    }

    /** signal=KILL or 9 is SIGKILL; TERM, 15 or none is SIGTERM; anything else is refused. */
    static boolean forced(String query) {
        if (query == null || query.isEmpty()) {
            return false;
        }
        for (String kv : query.split("&")) {
            if (kv.startsWith("signal=")) {
                String v = kv.substring("signal=".length());
                switch (v.toUpperCase(java.util.Locale.ROOT)) {
                    case "KILL", "9", "SIGKILL" -> {
                        return true;
                    }
                    case "TERM", "15", "SIGTERM" -> {
                        return false;
                    }
                    default -> throw new IllegalArgumentException("signal (" + v + ") must be KILL (9) or TERM (15)");
                }
            }
        }
        return false;
    }

    private static ObjectNode status(Demo demo) {
        ObjectNode root = JSON.createObjectNode();
        root.put("web", demo.webUrl().toString());
        root.put("admin", demo.adminUrl().toString());
        root.put("zk", demo.zkConnect());
        ArrayNode nodes = root.putArray("nodes");
        for (DemoNode.Status s : demo.nodeStatus()) {
            ObjectNode n = nodes.addObject();
            n.put("id", s.id());
            n.put("role", s.role().toString());
            n.put("running", s.running());
            if (s.running()) {
                n.put("pid", s.pid());
                n.put("address", s.address());
                if (s.admin() != null) {
                    n.put("admin", s.admin());
                }
            }
            if (s.lastExitCode() != null) {
                n.put("exitCode", s.lastExitCode());
            }
            n.put("log", s.log().toString());
        }
        return root;
    }

    private static ObjectNode message(boolean ok, String text) {
        ObjectNode n = JSON.createObjectNode();
        n.put("ok", ok);
        n.put("message", text);
        return n;
    }

    private static void reply(HttpExchange ex, int code, ObjectNode body) throws IOException {
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
