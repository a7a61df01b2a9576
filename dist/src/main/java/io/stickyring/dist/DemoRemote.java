package io.stickyring.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * {@code stickyring demo --kill ID | --start ID | --status}: one request to the control endpoint of a
 * demo that is already running (see {@link DemoControlServer}), for scripts and a second terminal.
 *
 * <p>Invariant: exit status 0 only when the demo did what was asked; otherwise 1 with the demo's
 * own message (or "no demo is running on ..." when nothing answers).
 */
final class DemoRemote {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DemoRemote() {
    }

    static int run(int controlPort, String kill, String start, boolean status, String signal, PrintWriter out, PrintWriter err) {
        if (controlPort <= 0) {
            err.println("stickyring demo: --control-port (" + controlPort + ") must name the running demo's port");
            err.flush();
            return 2;
        }
        String sig = signal.toUpperCase(java.util.Locale.ROOT);
        if (!sig.matches("TERM|KILL|9|15|SIGTERM|SIGKILL")) {
            err.println("stickyring demo: --signal (" + signal + ") must be TERM or KILL");
            err.flush();
            return 2;
        }
        URI base = URI.create("http://127.0.0.1:" + controlPort + "/");
        HttpRequest.Builder req;
        if (status) {
            req = HttpRequest.newBuilder(base.resolve("status")).GET();
        } else if (kill != null) {
            req = HttpRequest.newBuilder(base.resolve("nodes/" + kill + "/kill?signal=" + sig)).POST(HttpRequest.BodyPublishers.noBody());
        } else {
            req = HttpRequest.newBuilder(base.resolve("nodes/" + start + "/start")).POST(HttpRequest.BodyPublishers.noBody());
        }
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                    .send(req.timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(r.body());
            if (r.statusCode() == 200) {
                out.println(status ? r.body() : body.path("message").asText());
                out.flush();
                return 0;
            }
            err.println("stickyring demo: " + body.path("message").asText(r.body()));
            err.flush();
            return 1;
        } catch (ConnectException e) {
            err.println("stickyring demo: no demo is running with its control endpoint on " + base + " (--control-port)");
        } catch (IOException e) {
            err.println("stickyring demo: cannot reach the demo at " + base + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("stickyring demo: interrupted");
        }
        err.flush();
        return 1;
    }
}
