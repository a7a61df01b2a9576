package io.stickyring.sim.engine;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A one-line progress bar on stderr for long runs, redrawn at most every 200 ms.
 *
 * <p>Thread-safe: {@link #advance(long)} may be called from worker threads.
 */
public class Progress {

    /** A progress sink that prints nothing. */
    public static final Progress NONE = new Progress(null, 1, "") {
        @Override
        public void advance(long units) {
        }

        @Override
        public void done() {
        }
    };

    private final PrintStream out;
    private final long total;
    private final String label;
    private final AtomicLong doneUnits = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private volatile long lastDraw;

    public Progress(PrintStream out, long total, String label) {
        this.out = out;
        this.total = Math.max(1, total);
        this.label = label;
    }

    public void advance(long units) {
        long d = doneUnits.addAndGet(units);
        long now = System.nanoTime();
        if (now - lastDraw > 200_000_000L || d >= total) {
            lastDraw = now;
            draw(d, now);
        }
    }

    private synchronized void draw(long d, long now) {
        double f = Math.min(1.0, (double) d / total);
        int width = 30;
        int filled = (int) Math.round(f * width);
        double elapsed = (now - startNanos) / 1e9;
        double eta = f > 0 ? elapsed / f - elapsed : 0;
        out.printf("\r%s [%s%s] %5.1f%%  %.1fs elapsed, ~%.0fs left ", label, "#".repeat(filled),
                " ".repeat(width - filled), 100 * f, elapsed, eta);
        out.flush();
    }

    public void done() {
        draw(total, System.nanoTime());
        out.println();
    }
}
