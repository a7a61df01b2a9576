package io.stickyring.chat.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The web client, served from classpath resources under {@code web/}. Every file is loaded once,
 * at construction, into an immutable map; a request only looks the path up. Invariant: the map's
 * size is the number of files shipped, whatever paths clients ask for (misses are never remembered,
 * so a flood of distinct 404 paths costs no memory).
 */
final class StaticFiles {
    record File(byte[] bytes, String contentType) { }

    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "json", "application/json", "svg", "image/svg+xml",
            "png", "image/png", "ico", "image/x-icon", "txt", "text/plain; charset=utf-8",
            "webmanifest", "application/manifest+json");

    private final Map<String, File> files;

    StaticFiles(String root) {
        this.files = Map.copyOf(load(root));
    }

    Optional<File> get(String path) {
        if (path.isEmpty() || path.equals("/")) {
            path = "/index.html";
        }
        return Optional.ofNullable(files.get(path));
    }

    /** Files held (for tests: it never grows after start). */
    int size() {
        return files.size();
    }

    /** Reads every regular file under the classpath directory {@code root} (in a jar or a directory). */
    private static Map<String, File> load(String root) {
        URL url = StaticFiles.class.getClassLoader().getResource(root);
        Map<String, File> out = new TreeMap<>();
        if (url == null) {
            return out;
        }
        try {
            URI uri = url.toURI();
            if (uri.getScheme().equals("jar")) {
                FileSystem fs;
                boolean opened = false;
                try {
                    fs = FileSystems.getFileSystem(uri);
                } catch (FileSystemNotFoundException e) {
                    fs = FileSystems.newFileSystem(uri, Map.of());
                    opened = true;
                }
                try {
                    walk(fs.getPath(root), out);
                } finally {
                    if (opened) {
                        fs.close();
                    }
                }
            } else {
                walk(Path.of(uri), out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad resource URL " + url, e);
        }
        return out;
    }

    private static void walk(Path dir, Map<String, File> out) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                String rel = "/" + dir.relativize(p).toString().replace('\\', '/');
                String name = p.getFileName().toString();
                String ext = name.substring(name.lastIndexOf('.') + 1);
                out.put(rel, new File(Files.readAllBytes(p), TYPES.getOrDefault(ext, "application/octet-stream")));
            }
        }
    }
}
