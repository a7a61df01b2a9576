package io.stickyring.membership.zk;

import io.stickyring.membership.Member;
import io.stickyring.membership.MemberState;
import io.stickyring.membership.MembershipView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.data.Stat;

/**
 * Measures how fast membership changes reach watchers against a real in-process ZooKeeper, for
 * member counts 10, 100 and 1000 (after a warm-up round): initial-load time of a new watcher, latency from a member's
 * setData (a drain) to the published view, and a burst of 100 joins (time and number of views,
 * showing event coalescing). Not a unit test: run it by hand, see docs/membership.md.
 *
 * <pre>
 * mvn -B -q -pl membership test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.stickyring.membership.zk.ZkPropagationBench -Dexec.args=target/membership-propagation.txt
 * </pre>
 */
public final class ZkPropagationBench {

    private static final int TRIALS = 200;
    private static final int BURST = 100;

    private ZkPropagationBench() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "target/membership-propagation.txt");
        List<String> lines = new ArrayList<>();
        lines.add("# ZkPropagationBench " + Instant.now() + ", ZooKeeper " + org.apache.zookeeper.Version.getFullVersion()
                + ", Java " + System.getProperty("java.version") + ", " + Runtime.getRuntime().availableProcessors() + " cpus");
        lines.add(String.format(Locale.ROOT, "%-8s %14s %12s %12s %12s %14s %12s", "members", "initial-load", "drain-p50", "drain-p99",
                "drain-max", "burst-100-ms", "burst-views"));
        try (TestingServer server = new TestingServer(true)) {
            System.out.println("warm-up (not reported): " + run(server.getConnectString(), 10, "warmup"));
            for (int members : new int[] {10, 100, 1000}) {
                lines.add(run(server.getConnectString(), members, "bench-" + members));
                System.out.println(lines.get(lines.size() - 1));
            }
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.write(out, lines);
        lines.forEach(System.out::println);
        System.out.println("written to " + out.toAbsolutePath());
    }

    private static String run(String connect, int count, String cluster) throws Exception {
        ZkSettings settings = ZkSettings.of(connect, cluster);
        try (CuratorFramework writer = ZkHarness.startedClient(settings);
             CuratorFramework watcherClient = ZkHarness.startedClient(settings)) {
            writer.create().creatingParentsIfNeeded().forPath(settings.membersPath());
            for (int i = 0; i < count; i++) {
                create(writer, cluster, i);
            }

            Probe probe = new Probe();
            long t0 = System.nanoTime();
            try (ZkMembershipWatcher watcher = new ZkMembershipWatcher(watcherClient, cluster)) {
                watcher.addListener(probe);
                watcher.start();
                MembershipView first = watcher.awaitFirstView(Duration.ofSeconds(60)).orElseThrow();
                double initialMs = (System.nanoTime() - t0) / 1e6;
                if (first.members().size() != count) {
                    throw new IllegalStateException("first view has " + first.members().size() + " members, expected " + count);
                }

                ZkMembershipAdmin admin = new ZkMembershipAdmin(writer, cluster);
                long[] micros = new long[TRIALS];
                for (int t = 0; t < TRIALS; t++) {
                    String id = id(t % count);
                    MemberState next = t / count % 2 == 0 ? MemberState.DRAINING : MemberState.ACTIVE;
                    long start = System.nanoTime();
                    admin.setState(id, next);
                    Stat stat = writer.checkExists().forPath(ZkSettings.memberPath(cluster, id));
                    micros[t] = TimeUnit.NANOSECONDS.toMicros(probe.awaitVersion(stat.getMzxid()) - start);
                }
                Arrays.sort(micros);

                long viewsBefore = watcher.viewsPublished();
                long burstStart = System.nanoTime();
                for (int i = count; i < count + BURST; i++) {
                    createAsync(writer, cluster, i);
                }
                double burstMs = (probe.awaitSize(count + BURST) - burstStart) / 1e6;
                long burstViews = watcher.viewsPublished() - viewsBefore;

                return String.format(Locale.ROOT, "%-8d %11.1f ms %9.2f ms %9.2f ms %9.2f ms %14.1f %12d", count, initialMs,
                        micros[TRIALS / 2] / 1000.0, micros[(int) (TRIALS * 0.99)] / 1000.0, micros[TRIALS - 1] / 1000.0, burstMs, burstViews);
            }
        }
    }

    private static String id(int i) {
        return String.format(Locale.ROOT, "m%05d", i);
    }

    private static Member member(int i) {
        return new Member(id(i), "127.0.0.1", 10000 + i, 1, MemberState.ACTIVE, "", 0L, "bench");
    }

    private static void create(CuratorFramework writer, String cluster, int i) throws Exception {
        writer.create().withMode(CreateMode.EPHEMERAL).forPath(ZkSettings.memberPath(cluster, id(i)),
                new MemberPayload(member(i), "bench").encode());
    }

    private static void createAsync(CuratorFramework writer, String cluster, int i) throws Exception {
        writer.create().withMode(CreateMode.EPHEMERAL).inBackground().forPath(ZkSettings.memberPath(cluster, id(i)),
                new MemberPayload(member(i), "bench").encode());
    }

    /** Records when each view version was first published and lets the bench wait for a version or a size. */
    private static final class Probe implements Consumer<MembershipView> {
        private final ConcurrentNavigableMap<Long, Long> publishedAt = new ConcurrentSkipListMap<>();
        private final Object monitor = new Object();
        private volatile MembershipView last;

        @Override
        public void accept(MembershipView view) {
            publishedAt.putIfAbsent(view.version(), System.nanoTime());
            last = view;
            synchronized (monitor) {
                monitor.notifyAll();
            }
        }

        /** Nano time at which the first view with at least {@code version} was published. */
        long awaitVersion(long version) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            synchronized (monitor) {
                Map.Entry<Long, Long> e;
                while ((e = publishedAt.ceilingEntry(version)) == null) {
                    waitUntil(deadline, "version >= " + version);
                }
                return e.getValue();
            }
        }

        /** Nano time at which a view with at least {@code size} members was published. */
        long awaitSize(int size) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            synchronized (monitor) {
                MembershipView v;
                while ((v = last) == null || v.members().size() < size) {
                    waitUntil(deadline, "size >= " + size);
                }
                return publishedAt.get(v.version());
            }
        }

        private void waitUntil(long deadline, String what) throws InterruptedException {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("no view with " + what + " within 60 s");
            }
            TimeUnit.NANOSECONDS.timedWait(monitor, left);
        }
    }
}
