package io.stickyring.sim.report;

import java.util.Locale;

/** Number formats shared by the tables, CSV and charts. */
public final class Fmt {

    private Fmt() {
    }

    public static String pct(double f) {
        return Double.isNaN(f) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * f);
    }

    public static String ratio(double r) {
        return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.4f", r);
    }

    public static String times(double r) {
        return Double.isNaN(r) || Double.isInfinite(r) ? "-" : String.format(Locale.ROOT, "%.2fx", r);
    }

    public static String ns(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f ns", v);
    }

    public static String ms(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f ms", v);
    }

    public static String bytes(long b) {
        if (b < 0) {
            return "n/a";
        }
        if (b < 10 * 1024) {
            return b + " B";
        }
        if (b < 10L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
    }

    /** Plain machine-readable number for CSV. */
    public static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v);
    }
}
