package io.stickyring.sim.engine;

/**
 * Balance of one assignment, in connections, relative to each member's weighted fair share:
 * {@code peakToAverage} = max over members of load/fair (1.0 is perfect), {@code stdDev} = standard
 * deviation of load/fair (0 is perfect), {@code maxShare} = the largest member's fraction of all
 * connections, {@code minToAverage} = min over members of load/fair (1.0 is perfect).
 *
 * <p>Worked example: weights 1,1,2 and loads 30,20,50 of 100: fair = 25,25,50, so load/fair =
 * 1.2, 0.8, 1.0; peak-to-average 1.2, std dev sqrt((0.04+0.04+0)/3) = 0.163, max share 0.5, min/avg 0.8.
 */
public record LoadStats(double peakToAverage, double stdDev, double maxShare, double minToAverage) {

    /** All NaN: nothing to measure (or, for multi-probe's key space, nothing exact). */
    public static final LoadStats NONE = new LoadStats(Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    /** Balance of {@code loads[i]} against weights {@code weights[i]} (entries with weight 0 are not in the ring). */
    public static LoadStats of(long[] loads, int[] weights) {
        long total = 0;
        long wsum = 0;
        int members = 0;
        for (int i = 0; i < loads.length; i++) {
            total += loads[i];
            if (weights[i] > 0) {
                wsum += weights[i];
                members++;
            }
        }
        if (total == 0 || wsum == 0) {
            return NONE;
        }
        double peak = 0;
        double low = Double.POSITIVE_INFINITY;
        double sq = 0;
        long max = 0;
        for (int i = 0; i < loads.length; i++) {
            if (weights[i] == 0) {
                continue;
            }
            double fair = (double) total * weights[i] / wsum;
            double r = loads[i] / fair;
            peak = Math.max(peak, r);
            low = Math.min(low, r);
            sq += (r - 1) * (r - 1);
            max = Math.max(max, loads[i]);
        }
        return new LoadStats(peak, Math.sqrt(sq / members), (double) max / total, low);
    }
}
