package io.stickyring.sim.paper;

/**
 * One published figure beside ours: what it is, the setup, our estimate over trials, the
 * published value as text with its source ("not found" when we could not read it), and how the
 * two are compared at confidence {@code level} (0.95 in the table, 0.999 in the tests):
 * {@link Check#EQUAL}: |ours - expected| <= t * sqrt(se^2 + expectedSe^2) (Welch-style; expectedSe
 * is 0 for an exact published number and the model's standard error for a simulated model);
 * {@link Check#AT_MOST}: a statistical upper bound, ours - t * se <= expected; {@link Check#BOUND}:
 * a hard cap that every single trial must respect; {@link Check#NONE}: nothing to compare.
 *
 * @param expected the number the check uses (the published value, or the theory named in
 *     {@code published}); NaN when there is none
 * @param expectedSe standard error of {@code expected} when it is itself an estimate, else 0
 * @param note in words: where ours and the published figure differ, and why
 */
public record Figure(String preset, String figure, String setup, Estimate ours, String published, String source,
                     Check check, double expected, double expectedSe, String note) {

    public enum Check { EQUAL, AT_MOST, BOUND, NONE }

    /** Whether ours agrees with the expected value at confidence {@code level}; true when there is nothing to check. */
    public boolean agrees(double level) {
        double t = ours.trials() < 2 ? Double.POSITIVE_INFINITY : Estimate.tQuantile(0.5 + level / 2, ours.trials() - 1);
        return switch (check) {
            case EQUAL -> Math.abs(ours.mean() - expected) <= t * Math.sqrt(ours.se() * ours.se() + expectedSe * expectedSe) + 1e-12;
            case AT_MOST -> ours.mean() - t * ours.se() <= expected + 1e-12;
            case BOUND -> java.util.Arrays.stream(ours.values()).allMatch(v -> v <= expected + 1e-12);
            case NONE -> true;
        };
    }

    /** The table's verdict at 95%: "agrees", "DIFFERS", "under bound", "OVER bound" or "-". */
    public String verdict() {
        boolean ok = agrees(0.95);
        return switch (check) {
            case EQUAL -> ok ? "agrees" : "DIFFERS";
            case AT_MOST, BOUND -> ok ? "under bound" : "OVER bound";
            case NONE -> "-";
        };
    }
}
