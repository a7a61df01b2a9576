package io.stickyring.lb.nft;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one external command ({@code nft}, {@code conntrack}) with optional stdin and a timeout, the
 * way kube-proxy's nftables mode drives {@code nft -f -}. Output is read concurrently so a large
 * listing cannot block the child.
 */
final class Exec {

    /** Exit code, stdout and stderr of one finished command. */
    record Result(int exit, String out, String err) {
        boolean ok() {
            return exit == 0;
        }

        /** The first line of stderr (or stdout), for one-line error messages. */
        String firstErrorLine() {
            String s = err.isBlank() ? out : err;
            s = s.strip();
            int nl = s.indexOf('\n');
            return nl < 0 ? s : s.substring(0, nl);
        }
    }

    private Exec() {
    }

    static Result run(List<String> cmd, String stdin, Duration timeout) throws IOException {
        Process p = new ProcessBuilder(cmd).start();
        // own threads, not the common pool (parallelism 1 on a 2-core host would serialize the reads)
        CompletableFuture<String> out = new CompletableFuture<>();
        CompletableFuture<String> err = new CompletableFuture<>();
        reader(p.getInputStream(), out);
        reader(p.getErrorStream(), err);
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out after " + timeout.toMillis() + "ms: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
    }

    /**
     * Runs {@code cmd} without stdin, handing each stdout line to {@code line} as it arrives (a listing
     * of a million conntrack flows is never held whole); returns the exit code and stderr.
     */
    static Result lines(List<String> cmd, Duration timeout, java.util.function.Consumer<String> line) throws IOException {
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        CompletableFuture<String> err = new CompletableFuture<>();
        reader(p.getErrorStream(), err);
        // the deadline holds even while the child keeps writing: a watchdog kills it
        CompletableFuture<Void> watchdog = CompletableFuture.runAsync(() -> { },
                CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS))
                .thenRun(p::destroyForcibly);
        try (java.io.BufferedReader r = new java.io.BufferedReader(
                new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII), 1 << 16)) {
            for (String l; (l = r.readLine()) != null; ) {
                line.accept(l);
            }
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) || watchdog.isDone()) {
                p.destroyForcibly();
                throw new IOException("timed out after " + timeout.toMillis() + "ms: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), "", err.join());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        } finally {
            watchdog.cancel(false);
        }
    }

    private static void reader(java.io.InputStream in, CompletableFuture<String> into) {
        Thread t = new Thread(() -> {
            try (in) {
                into.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                into.complete("");
            }
        }, "lb-nft-exec");
        t.setDaemon(true);
        t.start();
    }
}
