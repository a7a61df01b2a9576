package io.stickyring.sim.engine;

import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.Node;
import io.stickyring.sim.algo.AlgorithmSpec;
import io.stickyring.sim.scenario.Cluster;
import io.stickyring.sim.scenario.Scenario;
import io.stickyring.sim.scenario.Step;
import io.stickyring.sim.workload.KeySet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * Runs a scenario over a key set for several algorithms and measures every step.
 *
 * <p>For each algorithm it builds the production hash for the initial ring, assigns every key, then
 * for each step builds the hash for the new ring (AnchorHash: from the previous step's, following the
 * scenario's history), re-assigns every key and compares owners. All
 * algorithms see the same keys and the same steps ({@link Scenario#expand()} is deterministic), so
 * their rows are directly comparable.
 */
public final class Simulator {

    /** Builds timed per membership; the median is reported. */
    static final int BUILD_REPEATS = 3;

    /** Keys per progress update and per parallel chunk. */
    private static final int CHUNK = 1 << 16;

    private final int threads;
    private final boolean measureMemory;

    public Simulator(int threads, boolean measureMemory) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads (" + threads + ") must be >= 1");
        }
        this.threads = threads;
        this.measureMemory = measureMemory;
    }

    /** Total progress units of a run, for sizing a {@link Progress}. */
    public static long workUnits(KeySet keys, List<AlgorithmSpec> algorithms, List<Scenario.Expanded> events) {
        long steps = 1;
        for (Scenario.Expanded e : events) {
            steps += e.steps().size();
        }
        return steps * algorithms.size() * keys.size();
    }

    public SimResult run(KeySet keys, List<AlgorithmSpec> algorithms, Scenario scenario, Progress progress) {
        long t0 = System.nanoTime();
        List<Scenario.Expanded> events = scenario.expand();
        // One global index per member id that ever exists in the scenario, in id order.
        TreeSet<String> allIds = new TreeSet<>(scenario.initial().ids());
        for (Scenario.Expanded e : events) {
            for (Step s : e.steps()) {
                allIds.addAll(s.after().ids());
            }
        }
        List<String> ids = List.copyOf(allIds);

        List<EventResult> eventResults = new ArrayList<>();
        List<StepResult> stepResults = new ArrayList<>();
        List<LoadSnapshot> loads = new ArrayList<>();
        ForkJoinPool pool = threads > 1 ? new ForkJoinPool(threads) : null;
        try {
            // Warm-up: one untimed pass per algorithm, so the first timed row is not measured cold.
            for (AlgorithmSpec algo : algorithms) {
                measure(algo, keys, scenario.initial(), ids, Progress.NONE, pool, null);
            }
            double nEff = effectiveSamples(keys);
            for (AlgorithmSpec algo : algorithms) {
                runOne(algo, keys, scenario.initial(), events, ids, progress, pool, eventResults, stepResults, loads, nEff);
            }
        } finally {
            if (pool != null) {
                pool.shutdown();
            }
        }
        return new SimResult(keys.description(), keys.size(), keys.totalConnections(), scenario.seed(),
                algorithms.stream().map(AlgorithmSpec::label).toList(),
                events.stream().map(Scenario.Expanded::text).toList(),
                eventResults, stepResults, loads, (System.nanoTime() - t0) / 1e9);
    }

    /** The state of one algorithm at one membership: the built hash and every key's owner (global index). */
    private record State(Cluster cluster, ConsistentHash hash, int[] owners, long[] loads, int[] weights,
                         double buildMs, double lookupNs) {
    }

    private void runOne(AlgorithmSpec algo, KeySet keys, Cluster initial, List<Scenario.Expanded> events,
                        List<String> ids, Progress progress, ForkJoinPool pool, List<EventResult> eventResults,
                        List<StepResult> stepResults, List<LoadSnapshot> loads, double nEff) {
        State cur = measure(algo, keys, initial, ids, progress, pool, null);
        eventResults.add(new EventResult(algo.label(), 0, "initial", 0, initial.ringNodes().size(), 0, 0, 0, 0, 0, 0,
                0, 0, LoadStats.of(cur.loads, cur.weights), cur.lookupNs, cur.buildMs,
                measureMemory ? MemoryEstimate.bytes(cur.hash) : -1, 0, 0, noiseFloor(cur.weights, nEff)));
        loads.add(snapshot(algo, 0, "initial", cur, ids));
        for (Scenario.Expanded ev : events) {
            State start = cur;
            double movedKeys = 0, movedConns = 0, ideal = 0, toNew = 0, fromGone = 0, between = 0, dropped = 0;
            double idealConns = 0;
            boolean[] received = new boolean[ids.size()];
            double[] builds = new double[ev.steps().size()];
            double[] lookups = new double[ev.steps().size()];
            int si = 0;
            for (Step step : ev.steps()) {
                // From the previous step's hash: AnchorHash follows the scenario's history.
                State next = measure(algo, keys, step.after(), ids, progress, pool, cur.hash);
                StepResult r = compare(algo, ev, si + 1, step, cur, next, keys, ids);
                stepResults.add(r);
                movedKeys += r.movedKeys();
                movedConns += r.movedConns();
                ideal += r.ideal();
                toNew += r.toNew();
                fromGone += r.fromGone();
                between += r.between();
                dropped += r.dropped();
                idealConns += r.idealConns();
                for (int g = 0; g < received.length; g++) {
                    received[g] |= r.received()[g];
                }
                builds[si] = next.buildMs;
                lookups[si] = next.lookupNs;
                si++;
                cur = next;
            }
            double net = movedFraction(start.owners, cur.owners, keys);
            eventResults.add(new EventResult(algo.label(), ev.index(), ev.text(), ev.steps().size(),
                    cur.cluster.ringNodes().size(), movedKeys, movedConns, ideal, toNew, fromGone, between, dropped,
                    net, LoadStats.of(cur.loads, cur.weights), median(lookups), median(builds),
                    measureMemory ? MemoryEstimate.bytes(cur.hash) : -1, idealConns, count(received),
                    noiseFloor(cur.weights, nEff)));
            loads.add(snapshot(algo, ev.index(), ev.text(), cur, ids));
        }
    }

    private State measure(AlgorithmSpec algo, KeySet keys, Cluster cluster, List<String> ids, Progress progress,
                          ForkJoinPool pool, ConsistentHash previous) {
        List<Node> nodes = cluster.ringNodes();
        // Builds are timed over BUILD_REPEATS repeats (median): one build is at the mercy of a GC or JIT.
        double[] buildTimes = new double[BUILD_REPEATS];
        ConsistentHash hash = null;
        for (int r = 0; r < BUILD_REPEATS; r++) {
            long b0 = System.nanoTime();
            hash = algo.next(previous, nodes);
            buildTimes[r] = (System.nanoTime() - b0) / 1e6;
        }
        double buildMs = median(buildTimes);
        List<Node> canon = hash.nodes();
        int[] toGlobal = new int[canon.size()];
        int[] weights = new int[ids.size()];
        for (int i = 0; i < canon.size(); i++) {
            toGlobal[i] = index(ids, canon.get(i).id());
            weights[toGlobal[i]] = canon.get(i).weight();
        }
        int n = keys.size();
        int[] local = new int[n];
        AlgorithmSpec.Pass pass = algo.assigner().start(hash, keys.keys(), keys.counts());
        double lookupNs;
        if (pool != null && algo.assigner().parallelSafe()) {
            long l0 = System.nanoTime();
            pool.submit(() -> IntStream.range(0, (n + CHUNK - 1) / CHUNK).parallel().forEach(c -> {
                int from = c * CHUNK;
                int to = Math.min(n, from + CHUNK);
                pass.assign(from, to, local);
                progress.advance(to - from);
            })).join();
            // Per lookup on one thread: the pass's wall time scaled back up by the thread count.
            lookupNs = (double) (System.nanoTime() - l0) * threads / n;
        } else {
            // The median over chunks of 65536 keys, so a GC pause or a JIT compile in one chunk
            // does not skew the figure.
            double[] perChunk = new double[(n + CHUNK - 1) / CHUNK];
            for (int c = 0, from = 0; from < n; from += CHUNK, c++) {
                int to = Math.min(n, from + CHUNK);
                long c0 = System.nanoTime();
                pass.assign(from, to, local);
                perChunk[c] = (double) (System.nanoTime() - c0) / (to - from);
                progress.advance(to - from);
            }
            lookupNs = median(perChunk);
        }
        int[] owners = new int[n];
        long[] loads = new long[ids.size()];
        int[] counts = keys.counts();
        for (int i = 0; i < n; i++) {
            int g = toGlobal[local[i]];
            owners[i] = g;
            loads[g] += counts[i];
        }
        return new State(cluster, hash, owners, loads, weights, buildMs, lookupNs);
    }

    private static int index(List<String> ids, String id) {
        int i = java.util.Collections.binarySearch(ids, id);
        if (i < 0) {
            throw new IllegalStateException("algorithm returned unknown member '" + id + "'");
        }
        return i;
    }

    private static StepResult compare(AlgorithmSpec algo, Scenario.Expanded ev, int stepIndex, Step step, State before,
                                      State after, KeySet keys, List<String> ids) {
        boolean[] inBefore = new boolean[ids.size()];
        boolean[] inAfter = new boolean[ids.size()];
        boolean[] failed = new boolean[ids.size()];
        for (int i = 0; i < ids.size(); i++) {
            inBefore[i] = before.weights[i] > 0;
            inAfter[i] = after.weights[i] > 0;
            failed[i] = step.failed().contains(ids.get(i));
        }
        int[] counts = keys.counts();
        long movedKeys = 0, movedConns = 0, toNew = 0, fromGone = 0, between = 0, dropped = 0;
        boolean[] received = new boolean[ids.size()];
        for (int i = 0; i < before.owners.length; i++) {
            int o = before.owners[i];
            int n = after.owners[i];
            if (failed[o]) {
                dropped += counts[i];
            }
            if (o != n) {
                received[n] = true;
                movedKeys++;
                movedConns += counts[i];
                if (!inBefore[n]) {
                    toNew += counts[i];
                } else if (!inAfter[o]) {
                    fromGone += counts[i];
                } else {
                    between += counts[i];
                }
            }
        }
        double total = keys.totalConnections();
        return new StepResult(algo.label(), ev.index(), ev.text(), stepIndex, step.label(),
                after.cluster.ringNodes().size(), (double) movedKeys / keys.size(), movedConns / total,
                idealMove(before.weights, after.weights), toNew / total, fromGone / total, between / total,
                dropped / total, LoadStats.of(after.loads, after.weights), after.lookupNs, after.buildMs,
                idealConns(before.loads, before.weights, after.weights), count(received), received);
    }

    /**
     * The connection-weighted ideal of one step: the connections on members that leave the ring
     * (forced to move whatever the algorithm: a heavy NAT on a failed member moves all its users),
     * plus the key-space movement the change needs beyond re-homing the leavers' share
     * (max(0, {@link #idealMove} - the leavers' fair share before)), i.e. what newcomers and
     * weight gains must receive, in expectation. Examples: loads 60, 20, 20 and member 0 fails
     * (weights 1,1,1 -> 0,1,1): 0.6 + max(0, 1/3 - 1/3) = 0.6. A fourth member joins: 0 + 1/4.
     * Member 0 replaced by a newcomer: its 0.6, nothing more.
     */
    public static double idealConns(long[] before, int[] weightsBefore, int[] weightsAfter) {
        double total = Arrays.stream(before).sum();
        double wBefore = Arrays.stream(weightsBefore).sum();
        double forced = 0;
        double leaversShare = 0;
        for (int i = 0; i < before.length; i++) {
            if (weightsBefore[i] > 0 && weightsAfter[i] == 0) {
                forced += before[i];
                leaversShare += weightsBefore[i] / wBefore;
            }
        }
        double extra = Math.max(0, idealMove(weightsBefore, weightsAfter) - leaversShare);
        return (total == 0 ? 0 : forced / total) + extra;
    }

    /**
     * Std dev of load/fair that key sampling alone gives a perfectly even algorithm: per member
     * sqrt((1-p)/(n_eff p)), n_eff = (sum c)^2 / sum c^2 over distinct keys, c a key's connections
     * (= the key count with one connection per key; --per-connection entries of one key count as one).
     */
    static double effectiveSamples(KeySet keys) {
        long[] k = keys.keys();
        int[] c = keys.counts();
        Integer[] order = new Integer[k.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Long.compare(k[x], k[y]));
        double sum = 0;
        double sq = 0;
        for (int i = 0; i < order.length; ) {
            long run = 0;
            int j = i;
            while (j < order.length && k[order[j]] == k[order[i]]) {
                run += c[order[j]];
                j++;
            }
            sum += run;
            sq += (double) run * run;
            i = j;
        }
        return sq == 0 ? 0 : sum * sum / sq;
    }

    static double noiseFloor(int[] weights, double nEff) {
        double w = Arrays.stream(weights).sum();
        double acc = 0;
        int members = 0;
        for (int x : weights) {
            if (x > 0) {
                double p = x / w;
                acc += (1 - p) / (nEff * p);
                members++;
            }
        }
        return members == 0 || nEff == 0 ? Double.NaN : Math.sqrt(acc / members);
    }

    private static int count(boolean[] b) {
        int c = 0;
        for (boolean x : b) {
            c += x ? 1 : 0;
        }
        return c;
    }

    /**
     * The least fraction of key space any algorithm must move from weight vector {@code a} to
     * {@code b}: the total variation distance between the fair shares, sum of max(0, share_a - share_b).
     * Remove 1 of 10 equal members: 0.1. Add 1 to 10: 10 * (1/10 - 1/11) = 1/11.
     */
    public static double idealMove(int[] a, int[] b) {
        double sa = Arrays.stream(a).sum();
        double sb = Arrays.stream(b).sum();
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d += Math.max(0, a[i] / sa - b[i] / sb);
        }
        return d;
    }

    private static double movedFraction(int[] a, int[] b, KeySet keys) {
        long moved = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                moved++;
            }
        }
        return (double) moved / keys.size();
    }

    private static LoadSnapshot snapshot(AlgorithmSpec algo, int event, String text, State s, List<String> ids) {
        List<String> members = new ArrayList<>();
        List<Long> l = new ArrayList<>();
        List<Double> f = new ArrayList<>();
        List<Integer> w = new ArrayList<>();
        long total = Arrays.stream(s.loads).sum();
        long wsum = Arrays.stream(s.weights).sum();
        for (int i = 0; i < ids.size(); i++) {
            if (s.weights[i] > 0) {
                members.add(ids.get(i));
                l.add(s.loads[i]);
                f.add((double) total * s.weights[i] / wsum);
                w.add(s.weights[i]);
            }
        }
        return new LoadSnapshot(algo.label(), event, text, members, l.stream().mapToLong(Long::longValue).toArray(),
                f.stream().mapToDouble(Double::doubleValue).toArray(), w.stream().mapToInt(Integer::intValue).toArray());
    }

    static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }
}
