package io.stickyring.sim.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table with aligned columns: text left-aligned, numbers right-aligned.
 *
 * <p>Invariant: every row has as many cells as the header.
 */
public final class TextTable {

    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    public TextTable(List<String> header) {
        this.header = List.copyOf(header);
    }

    public TextTable row(List<String> cells) {
        if (cells.size() != header.size()) {
            throw new IllegalArgumentException("row has " + cells.size() + " cells, header has " + header.size());
        }
        rows.add(List.copyOf(cells));
        return this;
    }

    /** A horizontal rule between groups of rows. */
    public TextTable rule() {
        rows.add(null);
        return this;
    }

    public String render() {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
        }
        for (List<String> r : rows) {
            if (r != null) {
                for (int i = 0; i < w.length; i++) {
                    w[i] = Math.max(w[i], r.get(i).length());
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, w, true);
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            rule.append(i == 0 ? "" : "  ").append("-".repeat(w[i]));
        }
        sb.append(rule).append('\n');
        for (List<String> r : rows) {
            if (r == null) {
                sb.append(rule).append('\n');
            } else {
                line(sb, r, w, false);
            }
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] w, boolean header) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            String c = cells.get(i);
            if (i > 0) {
                l.append("  ");
            }
            boolean right = !header && numeric(c);
            if (right) {
                l.append(" ".repeat(w[i] - c.length())).append(c);
            } else {
                l.append(c).append(" ".repeat(w[i] - c.length()));
            }
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }

    static boolean numeric(String c) {
        // One decimal point at most, so IPv4 addresses stay left-aligned like other text.
        return !c.isEmpty() && c.matches("[-+]?[0-9][0-9,]*(\\.[0-9]+)?\\s*(%|x|ns|ms|s|B|KiB|MiB|GiB)?|-|n/a");
    }
}
