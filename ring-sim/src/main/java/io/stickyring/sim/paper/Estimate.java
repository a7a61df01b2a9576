package io.stickyring.sim.paper;

/**
 * A figure measured over independent trials: the mean, the sample standard deviation and a
 * two-sided Student t confidence interval for the mean, {@code mean +- t(1-a/2, n-1) * sd/sqrt(n)}.
 * One trial has no interval (lo = hi = mean, sd NaN).
 *
 * <p>Example: trials 1.10, 1.20, 1.30: mean 1.20, sd 0.10, t(0.975, 2) = 4.303, 95% interval
 * 1.20 +- 4.303 * 0.10 / sqrt(3) = [0.952, 1.448].
 */
public record Estimate(double mean, double sd, double lo, double hi, int trials, double[] values) {

    /** The 95% t-interval of {@code values}. */
    public static Estimate of(double[] values) {
        return of(values, 0.95);
    }

    public static Estimate of(double[] values, double level) {
        int n = values.length;
        if (n == 0) {
            throw new IllegalArgumentException("no trials");
        }
        double mean = 0;
        for (double v : values) {
            mean += v;
        }
        mean /= n;
        if (n == 1) {
            return new Estimate(mean, Double.NaN, mean, mean, 1, values.clone());
        }
        double sq = 0;
        for (double v : values) {
            sq += (v - mean) * (v - mean);
        }
        double sd = Math.sqrt(sq / (n - 1));
        double half = tQuantile(0.5 + level / 2, n - 1) * sd / Math.sqrt(n);
        return new Estimate(mean, sd, mean - half, mean + half, n, values.clone());
    }

    /** Standard error of the mean. */
    public double se() {
        return trials < 2 ? Double.NaN : sd / Math.sqrt(trials);
    }

    private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060,
        2.056, 2.052, 2.048, 2.045, 2.042};

    /**
     * Quantile {@code p} (0.5 < p < 1) of Student's t with {@code df} degrees of freedom: the
     * printed table for p = 0.975 and df <= 30, else the Cornish-Fisher expansion around the normal
     * quantile (Abramowitz and Stegun 26.7.5; within 0.5% of the table for df >= 5 at p = 0.9995).
     */
    public static double tQuantile(double p, int df) {
        if (df < 1 || !(p > 0.5 && p < 1)) {
            throw new IllegalArgumentException("t quantile needs df >= 1 and 0.5 < p < 1 (got df " + df + ", p " + p + ")");
        }
        if (Math.abs(p - 0.975) < 1e-12 && df <= T975.length) {
            return T975[df - 1];
        }
        double z = normalQuantile(p);
        double z3 = z * z * z;
        double z5 = z3 * z * z;
        double z7 = z5 * z * z;
        double v = df;
        return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v)
                + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v);
    }

    /** Normal quantile by Acklam's rational approximation (relative error < 1.2e-9). */
    static double normalQuantile(double p) {
        double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00};
        double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01};
        double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00};
        double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
        double q;
        if (p > 1 - 0.02425) {
            q = Math.sqrt(-2 * Math.log(1 - p));
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                    / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        q = p - 0.5;
        double r = q * q;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
}
