package io.stickyring.lb.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's headless Chromium (package {@code chromium}, listed in scripts/test-packages.txt), run once
 * per call with a throw-away profile: {@code --dump-dom} returns the DOM after the page's scripts ran
 * for a virtual-time budget, {@code --screenshot} writes a PNG. Tests skip (with the reason) when
 * the binary is missing; {@code CHROMIUM} overrides the path.
 */
public final class HeadlessChromium {

    private static final long TIMEOUT_SECONDS = 60;

    private final Path binary;

    private HeadlessChromium(Path binary) {
        this.binary = binary;
    }

    /** The installed browser, or a skipped test naming what is missing. */
    public static HeadlessChromium require() {
        Path p = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
        Assumptions.assumeTrue(Files.isExecutable(p),
                "no Chromium at " + p + " (Debian package chromium; ./test.sh installs it as root)");
        return new HeadlessChromium(p);
    }

    /** The serialized DOM of {@code url} after its scripts ran for {@code budgetMillis} of virtual time. */
    public String dumpDom(String url, int budgetMillis) throws IOException, InterruptedException {
        return run(List.of("--virtual-time-budget=" + budgetMillis, "--dump-dom", url), null);
    }

    /** Saves a {@code width}x{@code height} screenshot of {@code url} to {@code png}. */
    public void screenshot(String url, Path png, int width, int height, int budgetMillis) throws IOException, InterruptedException {
        Files.createDirectories(png.toAbsolutePath().getParent());
        Files.deleteIfExists(png);
        run(List.of("--virtual-time-budget=" + budgetMillis, "--window-size=" + width + "," + height,
                "--hide-scrollbars", "--screenshot=" + png.toAbsolutePath(), url), png.toAbsolutePath().getParent());
        if (!Files.isRegularFile(png) || Files.size(png) == 0) {
            throw new IOException("chromium wrote no screenshot to " + png);
        }
    }

    private String run(List<String> args, Path workDir) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("chromium-profile");
        Path stdout = Files.createTempFile("chromium", ".out");
        Path stderr = Files.createTempFile("chromium", ".err");
        try {
            List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--user-data-dir=" + profile));
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            if (workDir != null) {
                pb.directory(workDir.toFile());
            }
            Process p = pb.start();
            p.getOutputStream().close();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IOException("chromium did not exit within " + TIMEOUT_SECONDS + " s: " + cmd);
            }
            if (p.exitValue() != 0) {
                throw new IOException("chromium exited " + p.exitValue() + ": " + Files.readString(stderr));
            }
            return Files.readString(stdout, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
            try (Stream<Path> s = Files.walk(profile)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
