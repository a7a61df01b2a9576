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
 * for each step builds the hash for the new ring, re-assigns every key and compares owners. All
 * algorithms see the same keys and the same steps ({@link Scenario#expand()} is deterministic), so
 * their rows are directly comparable.
 */
public final class Simulator {

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
            for (AlgorithmSpec algo : algorithms) {
                runOne(algo, keys, scenario.initial(), events, ids, progress, pool, eventResults, stepResults, loads);
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
                        List<StepResult> stepResults, List<LoadSnapshot> loads) {
        State cur = measure(algo, keys, initial, ids, progress, pool);
        eventResults.add(new EventResult(algo.label(), 0, "initial", 0, initial.ringNodes().size(), 0, 0, 0, 0, 0, 0,
                0, 0, LoadStats.of(cur.loads, cur.weights), cur.lookupNs, cur.buildMs,
                measureMemory ? MemoryEstimate.bytes(cur.hash) : -1));
        loads.add(snapshot(algo, 0, "initial", cur, ids));
        for (Scenario.Expanded ev : events) {
            State start = cur;
            double movedKeys = 0, movedConns = 0, ideal = 0, toNew = 0, fromGone = 0, between = 0, dropped = 0;
            double[] builds = new double[ev.steps().size()];
            double[] lookups = new double[ev.steps().size()];
            int si = 0;
            for (Step step : ev.steps()) {
                State next = measure(algo, keys, step.after(), ids, progress, pool);
                StepResult r = compare(algo, ev, si + 1, step, cur, next, keys, ids);
                stepResults.add(r);
                movedKeys += r.movedKeys();
                movedConns += r.movedConns();
                ideal += r.ideal();
                toNew += r.toNew();
                fromGone += r.fromGone();
                between += r.between();
                dropped += r.dropped();
                builds[si] = next.buildMs;
                lookups[si] = next.lookupNs;
                si++;
                cur = next;
            }
            double net = movedFraction(start.owners, cur.owners, keys);
            eventResults.add(new EventResult(algo.label(), ev.index(), ev.text(), ev.steps().size(),
                    cur.cluster.ringNodes().size(), movedKeys, movedConns, ideal, toNew, fromGone, between, dropped,
                    net, LoadStats.of(cur.loads, cur.weights), median(lookups), median(builds),
                    measureMemory ? MemoryEstimate.bytes(cur.hash) : -1));
            loads.add(snapshot(algo, ev.index(), ev.text(), cur, ids));
        }
    }

    private State measure(AlgorithmSpec algo, KeySet keys, Cluster cluster, List<String> ids, Progress progress,
                          ForkJoinPool pool) {
        List<Node> nodes = cluster.ringNodes();
        long b0 = System.nanoTime();
        ConsistentHash hash = algo.build(nodes);
        double buildMs = (System.nanoTime() - b0) / 1e6;
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
        for (int i = 0; i < before.owners.length; i++) {
            int o = before.owners[i];
            int n = after.owners[i];
            if (failed[o]) {
                dropped += counts[i];
            }
            if (o != n) {
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
                dropped / total, LoadStats.of(after.loads, after.weights), after.lookupNs, after.buildMs);
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
        long total = Arrays.stream(s.loads).sum();
        long wsum = Arrays.stream(s.weights).sum();
        for (int i = 0; i < ids.size(); i++) {
            if (s.weights[i] > 0) {
                members.add(ids.get(i));
                l.add(s.loads[i]);
                f.add((double) total * s.weights[i] / wsum);
            }
        }
        return new LoadSnapshot(algo.label(), event, text, members, l.stream().mapToLong(Long::longValue).toArray(),
                f.stream().mapToDouble(Double::doubleValue).toArray());
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
