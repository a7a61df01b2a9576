package io.stickyring.ring.bench;

import io.stickyring.ring.ConsistentHash;
import io.stickyring.ring.HashAlgorithm;
import io.stickyring.ring.MaglevHash;
import io.stickyring.ring.Node;
import io.stickyring.ring.RendezvousHash;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Prints the disruption table of docs/algorithms.md. For each algorithm at defaults and N equal
 * members {@code node-0..}, averaged over several removed members: the fraction of all keys that
 * change owner when one member leaves, the part of it that did not belong to the leaver (excess,
 * 0 for minimal disruption), the same two for a join, and how often the key's first fallback
 * before the removal is its owner after it. Maglev is measured exactly over its table slots; the
 * others over 200k random keys. For Maglev it also shows the agreement a rendezvous ranking of the
 * other members would give, the alternative fallback order that was considered.
 */
public final class DisruptionReport {

    private DisruptionReport() {
    }

    /** {moved, excess moved, fallback agreement} for removing member {@code victim}. */
    public static double[] removal(HashAlgorithm a, List<Node> members, int victim, int keys, long seed) {
        ConsistentHash before = a.build(members);
        List<Node> rest = new ArrayList<>(members);
        Node gone = rest.remove(victim);
        ConsistentHash after = a.build(rest);
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] pref = new int[2];
        long moved = 0;
        long excess = 0;
        long owned = 0;
        long agree = 0;
        for (int i = 0; i < keys; i++) {
            long k = rnd.nextLong();
            Node was = before.owner(k);
            Node now = after.owner(k);
            if (!was.equals(now)) {
                moved++;
                if (!was.equals(gone)) {
                    excess++;
                }
            }
            if (was.equals(gone)) {
                owned++;
                before.preference(k, pref);
                if (before.nodes().get(pref[1]).equals(now)) {
                    agree++;
                }
            }
        }
        return new double[] {(double) moved / keys, (double) excess / keys, owned == 0 ? 1 : (double) agree / owned};
    }

    /** Maglev removal measured over every table slot (exact); also the rendezvous-fallback agreement. */
    public static double[] maglevRemoval(List<Node> members, int victim) {
        MaglevHash before = new MaglevHash(members);
        List<Node> rest = new ArrayList<>(members);
        Node gone = rest.remove(victim);
        MaglevHash after = new MaglevHash(rest);
        RendezvousHash hrw = new RendezvousHash(members);
        int m = before.tableSize();
        int[] pref = new int[2];
        int[] hrwPref = new int[2];
        long moved = 0;
        long excess = 0;
        long owned = 0;
        long agree = 0;
        long agreeHrw = 0;
        for (int s = 0; s < m; s++) {
            // A key whose top 32 bits are ceil(s * 2^32 / m) falls in slot s.
            long key = (((((long) s) << 32) + m - 1) / m) << 32;
            Node was = before.nodes().get(before.slotOwner(s));
            Node now = after.nodes().get(after.slotOwner(s));
            if (!was.equals(now)) {
                moved++;
                if (!was.equals(gone)) {
                    excess++;
                }
            }
            if (was.equals(gone)) {
                owned++;
                before.preference(key, pref);
                agree += before.nodes().get(pref[1]).equals(now) ? 1 : 0;
                hrw.preference(key, hrwPref);
                int alt = hrw.nodes().get(hrwPref[0]).equals(gone) ? hrwPref[1] : hrwPref[0];
                agreeHrw += hrw.nodes().get(alt).equals(now) ? 1 : 0;
            }
        }
        return new double[] {(double) moved / m, (double) excess / m, (double) agree / owned, (double) agreeHrw / owned};
    }

    /** {moved, excess moved} for adding member {@code newcomer}. */
    public static double[] join(HashAlgorithm a, List<Node> members, Node newcomer, int keys, long seed) {
        ConsistentHash before = a.build(members);
        List<Node> more = new ArrayList<>(members);
        more.add(newcomer);
        ConsistentHash after = a.build(more);
        SplittableRandom rnd = new SplittableRandom(seed);
        long moved = 0;
        long excess = 0;
        for (int i = 0; i < keys; i++) {
            long k = rnd.nextLong();
            Node was = before.owner(k);
            Node now = after.owner(k);
            if (!was.equals(now)) {
                moved++;
                if (!now.equals(newcomer)) {
                    excess++;
                }
            }
        }
        return new double[] {(double) moved / keys, (double) excess / keys};
    }

    public static void main(String[] args) {
        int keys = 200_000;
        int trials = 5;
        int[] sizes = {5, 10, 50, 100, 500};
        System.out.printf(Locale.ROOT, "Disruption at defaults, equal weights, mean over %d removals/joins (Maglev: exact over its table slots; others: %d random keys)%n%n", trials, keys);
        System.out.println("| algorithm | N | removal: moved | removal: excess | 1/N | fallback = new owner | join: moved | join: excess | 1/(N+1) |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        StringBuilder alt = new StringBuilder();
        for (HashAlgorithm a : HashAlgorithm.values()) {
            for (int n : sizes) {
                if (a == HashAlgorithm.RENDEZVOUS && n > 100) {
                    continue;
                }
                List<Node> members = BalanceReport.members("node-", n);
                double[] r = new double[4];
                double[] j = new double[2];
                double maxExcess = 0;
                for (int t = 0; t < trials; t++) {
                    int victim = (int) ((t * 7919L) % n);
                    double[] x = a == HashAlgorithm.MAGLEV ? maglevRemoval(members, victim) : removal(a, members, victim, keys, t);
                    for (int q = 0; q < x.length; q++) {
                        r[q] += x[q] / trials;
                    }
                    maxExcess = Math.max(maxExcess, x[1]);
                    double[] y = join(a, members, Node.of("joiner-" + t), keys, t);
                    j[0] += y[0] / trials;
                    j[1] += y[1] / trials;
                }
                System.out.printf(Locale.ROOT, "| %s | %d | %.4f | %.4f | %.4f | %.3f | %.4f | %.4f | %.4f |%n",
                        a.cliName(), n, r[0], r[1], 1.0 / n, r[2], j[0], j[1], 1.0 / (n + 1));
                if (a == HashAlgorithm.MAGLEV) {
                    alt.append(String.format(Locale.ROOT, "| %d | %.3f | %.3f | %.4f |%n", n, r[2], r[3], maxExcess));
                }
            }
        }
        System.out.println();
        System.out.println("Maglev fallback choice: agreement of the first fallback with the post-removal owner, and the worst excess");
        System.out.println();
        System.out.println("| N | permutation-position ranking (used) | rendezvous ranking (considered) | worst removal excess |");
        System.out.println("|---:|---:|---:|---:|");
        System.out.print(alt);

        // Weighted members, as MaglevTest draws them: the worst case over random removals.
        SplittableRandom rnd = new SplittableRandom(11);
        double worstExcess = 0;
        double worstAgree = 1;
        for (int t = 0; t < 60; t++) {
            int n = 2 + rnd.nextInt(499);
            List<Node> members = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                members.add(new Node("m" + rnd.nextLong(), 1 + rnd.nextInt(5)));
            }
            double[] x = maglevRemoval(members, rnd.nextInt(n));
            worstExcess = Math.max(worstExcess, x[1]);
            worstAgree = Math.min(worstAgree, x[2]);
        }
        System.out.printf(Locale.ROOT, "%nMaglev, weights 1..5, N in 2..500, 60 random removals: worst excess %.4f, worst fallback agreement %.3f%n",
                worstExcess, worstAgree);
    }
}
