package io.stickyring.chat.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The web client, served from classpath resources under {@code web/}. Paths are normalised and
 * anything with "..", a backslash or a NUL is refused, so only files under {@code web/} are reachable.
 * Files are cached in memory after the first read (they ship inside the jar and never change).
 */
final class StaticFiles {
    record File(byte[] bytes, String contentType) { }

    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "json", "application/json", "svg", "image/svg+xml",
            "png", "image/png", "ico", "image/x-icon", "txt", "text/plain; charset=utf-8",
            "webmanifest", "application/manifest+json");

    private final String root;
    private final Map<String, Optional<File>> cache = new ConcurrentHashMap<>();

    StaticFiles(String root) {
        this.root = root;
    }

    Optional<File> get(String path) {
        if (path.isEmpty() || path.equals("/")) {
            path = "/index.html";
        }
        if (path.contains("..") || path.contains("\\") || path.indexOf('\0') >= 0 || path.contains("//")) {
            return Optional.empty();
        }
        return cache.computeIfAbsent(path, this::load);
    }

    private Optional<File> load(String path) {
        String resource = root + path;
        try (InputStream in = StaticFiles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return Optional.empty();
            }
            String ext = path.substring(path.lastIndexOf('.') + 1);
            return Optional.of(new File(in.readAllBytes(), TYPES.getOrDefault(ext, "application/octet-stream")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
