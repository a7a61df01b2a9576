package io.stickyring.sim.whatif;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Minimal read-only client of the LB admin API: GET with an optional bearer token and a timeout on
 * connect and on the whole request.
 */
public final class AdminClient {

    private final HttpClient http;
    private final String base;
    private final String token;
    private final Duration timeout;

    public AdminClient(String baseUrl, String token, Duration timeout) {
        this.base = baseUrl.replaceAll("/+$", "");
        this.token = token;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public String base() {
        return base;
    }

    /** The body of GET base+path; null on 404 when not {@code required}. */
    public String get(String path, boolean required) throws IOException, InterruptedException {
        String url = base + path;
        HttpResponse<String> r;
        try {
            HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET();
            if (token != null && !token.isEmpty()) {
                req.header("Authorization", "Bearer " + token);
            }
            r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IOException("GET " + url + " failed: "
                    + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad LB URL '" + base + "': " + e.getMessage(), e);
        }
        if (r.statusCode() == 404 && !required) {
            return null;
        }
        if (r.statusCode() == 401) {
            throw new IOException("GET " + url + " answered HTTP 401: give the admin token with --token");
        }
        if (r.statusCode() != 200) {
            throw new IOException("GET " + url + " answered HTTP " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }
}
