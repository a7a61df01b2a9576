package io.stickyring.sim.paper;

import io.stickyring.ring.BoundedLoadHash;
import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.HashAlgorithm;
import io.stickyring.ring.HashConfig;
import io.stickyring.ring.LoadSource;
import io.stickyring.ring.MaglevHash;
import io.stickyring.ring.MultiProbeHash;
import io.stickyring.ring.Node;
import io.stickyring.ring.Ratio;
import io.stickyring.ring.RingHash;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The `sim paper` presets that reproduce published figures over repeated trials. Each trial draws
 * a fresh set of member ids (and keys) from the seed, so ring, Maglev and multi-probe placement
 * vary between trials; every figure is a mean with a 95% Student t interval over the trials.
 *
 * <p>Published numbers are quoted only where we could read them, with their source; otherwise
 * the table says "not found" and, where one exists, shows a theoretical value labelled as such.
 *
 * <p>Invariant: the same (preset, trials, seed) gives the same figures.
 */
public final class Presets {

    /** Preset names in the order `paper all` runs them, with their default trial counts. */
    public static final Map<String, Integer> DEFAULT_TRIALS = defaults();

    private static Map<String, Integer> defaults() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("karger", 20);
        m.put("ring-peak", 50);
        m.put("jump-growth", 20);
        m.put("maglev", 20);
        m.put("disruption", 30);
        m.put("multiprobe", 10);
        m.put("bounded", 30);
        return m;
    }

    private Presets() {
    }

    /** Runs preset {@code name} over {@code trials} trials from {@code seed}. */
    public static List<Figure> run(String name, int trials, long seed) {
        if (trials < 2) {
            throw new IllegalArgumentException("trials (" + trials + ") must be >= 2 for an interval");
        }
        return switch (name) {
            case "karger" -> karger(1000, new int[] {1, 10, 100, 1000}, trials, seed);
            case "ring-peak" -> ringPeak(100, new int[] {16, 160, 1600}, trials, seed);
            case "jump-growth" -> jumpGrowth(new int[] {10, 100, 1000}, 200_000, trials, seed);
            case "maglev" -> maglev(1000, trials, seed);
            case "disruption" -> disruption(1000, trials, seed);
            case "multiprobe" -> multiProbe(50, new int[] {1, 2, 5, 11, 21}, 400_000, trials, seed);
            case "bounded" -> bounded(100, 50, new String[] {"1.1", "1.25", "1.5", "2"}, trials, seed);
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (expected one of "
                    + String.join(", ", DEFAULT_TRIALS.keySet()) + ", all)");
        };
    }

    /** {@code n} fresh member ids for one trial. */
    public static List<Node> members(int n, SplittableRandom rnd) {
        List<Node> nodes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            nodes.add(Node.of("s" + Long.toHexString(rnd.nextLong()) + "-" + i));
        }
        return nodes;
    }

    private interface Trial {
        double[] run(SplittableRandom rnd);
    }

    /** Runs {@code trials} trials, each returning several figures, and returns one Estimate per figure. */
    private static Estimate[] over(int trials, long seed, int figures, Trial trial) {
        SplittableRandom base = new SplittableRandom(seed);
        double[][] v = new double[figures][trials];
        for (int t = 0; t < trials; t++) {
            double[] r = trial.run(base.split());
            for (int f = 0; f < figures; f++) {
                v[f][t] = r[f];
            }
        }
        Estimate[] e = new Estimate[figures];
        for (int f = 0; f < figures; f++) {
            e[f] = Estimate.of(v[f]);
        }
        return e;
    }

    /** share / mean for every member, sorted ascending. */
    static double[] relativeShares(ConsistentHash h) {
        double[] s = h.shares();
        int n = s.length;
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = s[i] * n;
        }
        Arrays.sort(r);
        return r;
    }

    /** The q-quantile of sorted values, linear interpolation between order statistics. */
    public static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(i + 1, sorted.length - 1);
        return sorted[i] + (pos - i) * (sorted[j] - sorted[i]);
    }

    static double stdDev(double[] relative) {
        double sq = 0;
        for (double r : relative) {
            sq += (r - 1) * (r - 1);
        }
        return Math.sqrt(sq / relative.length);
    }

    /**
     * Karger ring (ketama points = murmur3(id, replica)), N servers with k points each: exact
     * share/mean of every server over the key space. Std dev against the Beta-arc formula
     * sqrt((N-1)/(kN+1)); the 99% interval of share/mean (0.5% and 99.5% quantiles) is the
     * quantity of Lamping and Veach's table, whose values we could not read.
     */
    static List<Figure> karger(int n, int[] ks, int trials, long seed) {
        List<Figure> out = new ArrayList<>();
        for (int k : ks) {
            Estimate[] e = over(trials, seed, 5, rnd -> {
                double[] r = relativeShares(new RingHash(members(n, rnd), k));
                return new double[] {stdDev(r), quantile(r, 0.005), quantile(r, 0.995), r[0], r[r.length - 1]};
            });
            String setup = n + " servers, " + k + " points each, exact arcs";
            double formula = Math.sqrt((n - 1.0) / (k * (double) n + 1));
            out.add(new Figure("karger", "std dev of share/mean", setup, e[0],
                    "sqrt((N-1)/(kN+1)) = " + fmt(formula), "ch.terabyteoff.com 'Consistent hashing math' (Cloudflare)",
                    Figure.Check.EQUAL, formula, 0, "derived for uniform random points; murmur3 points behave so"));
            out.add(new Figure("karger", "share/mean 0.5% quantile", setup, e[1], "not found",
                    "Lamping & Veach 2014, table (99% interval)", Figure.Check.NONE, Double.NaN, 0,
                    "their table's values could not be read here; ours is the lower end of the 99% interval"));
            out.add(new Figure("karger", "share/mean 99.5% quantile", setup, e[2], "not found",
                    "Lamping & Veach 2014, table (99% interval)", Figure.Check.NONE, Double.NaN, 0,
                    "upper end of the 99% interval"));
            out.add(new Figure("karger", "min share/mean", setup, e[3], "-", "-", Figure.Check.NONE, Double.NaN, 0, ""));
            out.add(new Figure("karger", "max share/mean", setup, e[4], "-", "-", Figure.Check.NONE, Double.NaN, 0, ""));
        }
        return out;
    }

    /**
     * Busiest server / mean on the production ring, n servers, k points per server, exact arcs;
     * beside it the same figure for an ideal ring whose points are uniform random numbers from the
     * JDK's SplittableRandom (a model, not a publication) over as many trials.
     */
    static List<Figure> ringPeak(int n, int[] ks, int trials, long seed) {
        List<Figure> out = new ArrayList<>();
        for (int k : ks) {
            Estimate ours = over(trials, seed, 1, rnd -> {
                double[] r = relativeShares(new RingHash(members(n, rnd), k));
                return new double[] {r[r.length - 1]};
            })[0];
            Estimate model = over(trials, seed ^ 0x5DEECE66DL, 1, rnd -> new double[] {idealRingPeak(n, k, rnd)})[0];
            out.add(new Figure("ring-peak", "busiest/mean", n + " servers, " + k + " points each", ours, "not found",
                    "ideal uniform-point ring model: " + fmt(model.mean()) + " [" + fmt(model.lo()) + ", " + fmt(model.hi()) + "]",
                    Figure.Check.EQUAL, model.mean(), model.se(),
                    "the published means could not be read; compared with a uniform-point model instead (interval of the model shown)"));
        }
        return out;
    }

    /** Max share/mean of a ring of n*k uniform random points, k per server. */
    static double idealRingPeak(int n, int k, SplittableRandom rnd) {
        int size = n * k;
        long[] pts = new long[size];
        for (int i = 0; i < size; i++) {
            pts[i] = (rnd.nextLong() & ~0xffffL) | (i % n);
        }
        Arrays.sort(pts);
        double[] share = new double[n];
        for (int i = 0; i < size; i++) {
            long cur = pts[i] & ~0xffffL;
            long prev = pts[i == 0 ? size - 1 : i - 1] & ~0xffffL;
            share[(int) (pts[i] & 0xffff)] += (size == 1 ? 0x1.0p64 : unsigned(cur - prev)) / 0x1.0p64;
        }
        double max = 0;
        for (double s : share) {
            max = Math.max(max, s * n);
        }
        return max;
    }

    private static double unsigned(long v) {
        return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
    }

    /** Jump hash growing from n to n+1 buckets moves 1/(n+1) of the keys (Lamping & Veach 2014). */
    static List<Figure> jumpGrowth(int[] ns, int keys, int trials, long seed) {
        List<Figure> out = new ArrayList<>();
        for (int n : ns) {
            Estimate e = over(trials, seed, 1, rnd -> {
                List<Node> before = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    before.add(Node.of(String.format("b%06d", i)));
                }
                List<Node> after = new ArrayList<>(before);
                after.add(Node.of(String.format("b%06d", n)));
                ConsistentHash a = HashConfig.of(HashAlgorithm.JUMP).build(before);
                ConsistentHash b = HashConfig.of(HashAlgorithm.JUMP).build(after);
                int moved = 0;
                for (int i = 0; i < keys; i++) {
                    long key = rnd.nextLong();
                    if (!a.owner(key).equals(b.owner(key))) {
                        moved++;
                    }
                }
                return new double[] {(double) moved / keys};
            })[0];
            double p = 1.0 / (n + 1);
            out.add(new Figure("jump-growth", "keys moved, " + n + " -> " + (n + 1) + " buckets", keys + " random keys per trial",
                    e, "1/(n+1) = " + fmt(p), "Lamping & Veach 2014, section 2", Figure.Check.EQUAL, p, 0,
                    "jump renumbers nothing on growth: only sampling noise separates ours from the exact 1/(n+1)"));
        }
        return out;
    }

    /**
     * Maglev (Eisenbud et al., NSDI 2016): 1000 backends, tables of 65537 and 655373 slots. Slot
     * counts: (max - min)/mean, and max/mean; the paper states that M > 100 N keeps the difference
     * in hash space within 1% (section 3.4). Rendezvous over-provision: max/mean of M random keys
     * (section 5.3's comparison; the paper's value not found).
     */
    static List<Figure> maglev(int n, int trials, long seed) {
        List<Figure> out = new ArrayList<>();
        for (int m : new int[] {65537, 655373}) {
            Estimate[] e = over(trials, seed, 3, rnd -> {
                List<Node> nodes = members(n, rnd);
                int[] slots = new MaglevHash(nodes, m).slotCounts();
                int max = Arrays.stream(slots).max().orElseThrow();
                int min = Arrays.stream(slots).min().orElseThrow();
                double mean = (double) m / n;
                ConsistentHash hrw = HashConfig.of(HashAlgorithm.RENDEZVOUS).build(nodes);
                long[] loads = new long[n];
                for (int i = 0; i < m; i++) {
                    loads[hrw.ownerIndex(rnd.nextLong())]++;
                }
                long hmax = Arrays.stream(loads).max().orElseThrow();
                return new double[] {(max - min) / mean, max / mean, hmax / mean};
            });
            boolean big = m > 100L * n;
            out.add(new Figure("maglev", "slot count (max-min)/mean", n + " backends, M=" + m, e[0],
                    big ? "<= 1% (M > 100N)" : "no claim (M < 100N)", "Eisenbud et al. 2016, section 3.4",
                    big ? Figure.Check.BOUND : Figure.Check.NONE, big ? 0.01 : Double.NaN, 0,
                    big ? "Maglev's round-robin fill gives every backend floor or ceil of M/N slots"
                        : "below the paper's recommended size the spread is still one slot in M/N"));
            out.add(new Figure("maglev", "slot count max/mean", n + " backends, M=" + m, e[1], "not found",
                    "Eisenbud et al. 2016, section 5.3", Figure.Check.NONE, Double.NaN, 0, ""));
            out.add(new Figure("maglev", "rendezvous over-provision (max/mean)", n + " backends, " + m + " keys", e[2],
                    "not found", "Eisenbud et al. 2016, section 5.3", Figure.Check.NONE, Double.NaN, 0,
                    "mostly key-sampling noise at " + (m / n) + " keys per backend (rendezvous splits the key space evenly)"));
        }
        return out;
    }

    /** One random backend of n removed: table entries (Maglev) / keys (ring) changed, over the minimum 1/n. */
    static List<Figure> disruption(int n, int trials, long seed) {
        int[] sizes = {65537, 655373};
        Estimate[] e = over(trials, seed, 3, rnd -> {
            List<Node> nodes = members(n, rnd);
            List<Node> rest = new ArrayList<>(nodes);
            rest.remove(rnd.nextInt(n));
            double[] r = new double[3];
            for (int q = 0; q < sizes.length; q++) {
                r[q] = changedSlots(new MaglevHash(nodes, sizes[q]), new MaglevHash(rest, sizes[q])) * n;
            }
            double[] sa = HashConfig.of(HashAlgorithm.RING).withVnodes(100).build(nodes).shares();
            ConsistentHash rb = HashConfig.of(HashAlgorithm.RING).withVnodes(100).build(rest);
            double[] sb = rb.shares();
            // The ring moves exactly the removed member's arcs: its share, which the survivors gain.
            double moved = 0;
            List<Node> sorted = new ArrayList<>(nodes);
            sorted.sort(null);
            for (int i = 0, j = 0; i < sa.length; i++) {
                if (j < sb.length && sorted.get(i).equals(rb.nodes().get(j))) {
                    moved += Math.max(0, sb[j] - sa[i]);
                    j++;
                }
            }
            r[2] = moved * n;
            return r;
        });
        List<Figure> out = new ArrayList<>();
        for (int q = 0; q < sizes.length; q++) {
            out.add(new Figure("disruption", "Maglev entries changed / minimum", n + " backends, M=" + sizes[q] + ", 1 removed",
                    e[q], "not found", "Eisenbud et al. 2016, section 5.3 (qualitative: near-minimal)", Figure.Check.NONE,
                    Double.NaN, 0, "Maglev's refill also moves some surviving backends' slots, more with the smaller table; "
                            + "the ring moves only the removed member's keys, whose share varies with its points"));
        }
        out.add(new Figure("disruption", "ring keys moved / minimum", n + " backends, 100 points each, 1 removed", e[2],
                "1 in expectation (theory: only the removed member's keys move)", "Karger et al. 1997", Figure.Check.EQUAL, 1.0, 0,
                ""));
        return out;
    }

    static double changedSlots(MaglevHash a, MaglevHash b) {
        int changed = 0;
        for (int s = 0; s < a.tableSize(); s++) {
            if (!a.nodes().get(a.slotOwner(s)).equals(b.nodes().get(b.slotOwner(s)))) {
                changed++;
            }
        }
        return (double) changed / a.tableSize();
    }

    /**
     * Multi-probe (Appleton and O'Reilly 2015): peak/average with k probes, n servers, one point
     * each; published: 1 + epsilon with 1 + 1/epsilon probes, i.e. 1 + 1/(k-1). Ours is measured
     * over sampled keys; the noise floor (the same statistic for a perfectly even split with the
     * same number of keys) is shown alongside.
     */
    static List<Figure> multiProbe(int n, int[] probes, int keys, int trials, long seed) {
        List<Figure> out = new ArrayList<>();
        Estimate floor = over(trials, seed ^ 0x9E3779B97F4A7C15L, 1, rnd -> {
            long[] c = new long[n];
            for (int i = 0; i < keys; i++) {
                c[rnd.nextInt(n)]++;
            }
            return new double[] {Arrays.stream(c).max().orElseThrow() * (double) n / keys};
        })[0];
        for (int k : probes) {
            Estimate e = over(trials, seed, 1, rnd -> {
                MultiProbeHash h = new MultiProbeHash(members(n, rnd), k);
                long[] c = new long[n];
                for (int i = 0; i < keys; i++) {
                    c[h.ownerIndex(rnd.nextLong())]++;
                }
                return new double[] {Arrays.stream(c).max().orElseThrow() * (double) n / keys};
            })[0];
            boolean claim = k >= 2;
            double bound = claim ? 1 + 1.0 / (k - 1) : Double.NaN;
            out.add(new Figure("multiprobe", "peak/average, " + k + " probes", n + " servers, " + keys + " keys/trial", e,
                    claim ? "1 + 1/(k-1) = " + fmt(bound) : "no claim for k=1 (plain one-point ring)",
                    "Appleton & O'Reilly 2015, abstract", claim ? Figure.Check.AT_MOST : Figure.Check.NONE,
                    claim ? bound + (floor.mean() - 1) : Double.NaN, floor.se(),
                    "checked against the bound plus the key-sampling noise floor " + fmt(floor.mean())
                            + " [" + fmt(floor.lo()) + ", " + fmt(floor.hi()) + "]"));
        }
        return out;
    }

    /**
     * Bounded loads (Mirrokni, Thorup and Zadimoghaddam 2018): n servers on the production ring,
     * m = perServer * n items placed one at a time through {@link BoundedLoadHash}; max load/mean
     * never exceeds ceil(c m / n) / (m / n), the paper's cap, by construction (exact capacity).
     */
    static List<Figure> bounded(int n, int perServer, String[] cs, int trials, long seed) {
        List<Figure> out = new ArrayList<>();
        int m = n * perServer;
        Estimate plain = over(trials, seed, 1, rnd -> new double[] {place(n, m, null, rnd)})[0];
        out.add(new Figure("bounded", "max/mean, no bound", n + " servers, " + m + " items, ring 100 points", plain,
                "-", "-", Figure.Check.NONE, Double.NaN, 0, "the base ring alone, for contrast"));
        for (String c : cs) {
            Ratio ratio = Ratio.parse(c);
            Estimate e = over(trials, seed, 1, rnd -> new double[] {place(n, m, ratio, rnd)})[0];
            double cap = Math.ceil((double) ratio.numerator() * m / ((double) ratio.denominator() * n)) / ((double) m / n);
            out.add(new Figure("bounded", "max/mean, c=" + c, n + " servers, " + m + " items, ring 100 points", e,
                    "<= ceil(c m/n)/(m/n) = " + fmt(cap), "Mirrokni et al. 2018 (SODA), the capacity definition",
                    Figure.Check.BOUND, cap, 0, "a cap by construction; ours sits at or just under it once the ring's busiest member fills"));
        }
        return out;
    }

    private static double place(int n, int m, Ratio c, SplittableRandom rnd) {
        ConsistentHash base = new RingHash(members(n, rnd), 100);
        int[] loads = new int[n];
        ConsistentHash h = c == null ? base : new BoundedLoadHash(base, c, LoadSource.of(loads));
        for (int i = 0; i < m; i++) {
            loads[h.ownerIndex(rnd.nextLong())]++;
        }
        return Arrays.stream(loads).max().orElseThrow() / ((double) m / n);
    }

    static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.4f", v);
    }
}
