package io.stickyring.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Flags, validation and fail-fast errors of {@code stickyring demo}; nothing here starts a node. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DemoCommandTest {

    @TempDir
    Path dir;

    record Result(int code, String out, String err) { }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void helpNamesEveryFlagAndTheControlEndpoint() {
        Result r = run("demo", "--help");
        assertThat(r.code).isZero();
        assertThat(r.out).contains("--nodes", "--port", "--admin-port", "--control-port", "--data", "--host", "--no-console",
                "--drain-period", "/nodes/n2/kill?signal=KILL");
    }

    @Test
    void badValuesAreRefusedWithTheValueNamed() {
        assertThat(run("demo", "--nodes", "0").err).contains("nodes (0) must be in 1..16");
        assertThat(run("demo", "--nodes", "17").err).contains("nodes (17) must be in 1..16");
        assertThat(run("demo", "--port", "70000").err).contains("port (70000) must be in 0..65535");
        assertThat(run("demo", "--port", "9000", "--admin-port", "9000").err).contains("port (9000) must differ from admin-port (9000)");
        assertThat(run("demo", "--cluster", "a/b").err).contains("cluster (a/b)");
        assertThat(run("demo", "--drain-period", "6m").err).contains("drain-period (6m) must be in 0..5m");
        // Whole seconds without a unit were the demo's own form: refused now, naming the one grammar's.
        assertThat(run("demo", "--drain-period", "2").err).contains("'2' needs a unit, e.g. 2ms or 2s");
        assertThat(run("demo", "--nodes", "zero").code).isEqualTo(2);
        assertThat(run("demo", "--algorithm", "jump").err).contains("algorithm (jump) must be one of ring, maglev, rendezvous");
    }

    @Test
    void helpNamesTheSplitShapeFlags() {
        Result r = run("demo", "--help");
        assertThat(r.out).contains("--edges", "--writers", "--store", "--bus", "role edge", "role writer");
    }

    private static final String PG = "postgresql://postgres@127.0.0.1:5432/test?schema=demo_x";
    private static final String NATS = "nats://127.0.0.1:4222";

    /** Each refused before anything starts, with exit status 2 and one line naming the flag; nothing here connects. */
    @Test
    void theSplitShapeNeedsTheClusterStoreAndBusAndSaneCounts() {
        Path data = dir.resolve("data");
        Result noStore = run("demo", "--edges", "2", "--writers", "1", "--data", data.toString());
        assertThat(noStore.code).isEqualTo(2);
        assertThat(noStore.err.lines().findFirst().orElseThrow())
                .isEqualTo("stickyring demo: the split shape (--edges/--writers) needs --store postgresql://USER@HOST:PORT/DB"
                        + " (the cluster store edges and writers share)");
        assertThat(run("demo", "--edges", "2", "--writers", "1", "--store", PG).err)
                .contains("the split shape (--edges/--writers) needs --bus nats://HOST:PORT");
        assertThat(run("demo", "--edges", "2", "--writers", "1", "--bus", NATS).err).contains("needs --store postgresql://");
        assertThat(run("demo", "--edges", "2", "--store", PG, "--bus", NATS).err)
                .contains("writers (0) must be at least 1 with --edges 2: edges forward every send to a writer");
        assertThat(run("demo", "--edges", "2", "--writers", "0", "--store", PG, "--bus", NATS).err).contains("writers (0) must be at least 1");
        assertThat(run("demo", "--writers", "1", "--store", PG, "--bus", NATS).err)
                .contains("edges (0) must be at least 1 with --writers 1: the LB gives clients to edges only");
        assertThat(run("demo", "--edges", "-1", "--writers", "1", "--store", PG, "--bus", NATS).err).contains("edges (-1) must be in 0..16");
        assertThat(run("demo", "--edges", "2", "--writers", "-3", "--store", PG, "--bus", NATS).err).contains("writers (-3) must be in 0..16");
        assertThat(run("demo", "--edges", "17", "--writers", "1", "--store", PG, "--bus", NATS).err).contains("edges (17) must be in 0..16");
        assertThat(run("demo", "--edges", "9", "--writers", "8", "--store", PG, "--bus", NATS).err)
                .contains("edges + writers (9 + 8) must be at most 16");
        assertThat(run("demo", "--nodes", "3", "--edges", "2", "--writers", "1", "--store", PG, "--bus", NATS).err)
                .contains("nodes (3) cannot be combined with --edges/--writers");
        assertThat(run("demo", "--edges", "two", "--writers", "1").code).isEqualTo(2);
        // The URLs are checked the way the node checks them, before any node starts.
        assertThat(run("demo", "--edges", "2", "--writers", "1", "--store", "sqlite:/tmp/x.db", "--bus", NATS).err)
                .contains("store (sqlite:/tmp/x.db) must be a postgresql:// URL");
        assertThat(run("demo", "--edges", "2", "--writers", "1", "--store", PG, "--bus", "sqlite").err)
                .contains("bus (sqlite) must be a nats:// URL");
        assertThat(run("demo", "--edges", "2", "--writers", "1", "--store", "postgresql://127.0.0.1:5432/test?schema=Bad-Name", "--bus", NATS).err)
                .contains("schema (Bad-Name) must match");
        assertThat(run("demo", "--edges", "2", "--writers", "1", "--store", PG, "--bus", NATS + "?colour=red").err).contains("colour");
        // Role all takes the cluster store too, but both or neither, and never per-node SQLite files.
        assertThat(run("demo", "--store", PG).err).contains("--store needs --bus nats://HOST:PORT");
        assertThat(run("demo", "--bus", NATS).err).contains("--bus needs --store postgresql://");
        assertThat(run("demo", "--store", PG, "--bus", NATS, "--no-shared-store").err).contains("--no-shared-store is for SQLite");
        assertThat(data).doesNotExist();
    }

    @Test
    void flagsMapToTheShapes() {
        DemoConfig split = parse("--edges", "2", "--writers", "1", "--store", PG, "--bus", NATS);
        assertThat(split.split()).isTrue();
        assertThat(split.nodes()).isZero();
        assertThat(split.nodeIds()).containsExactly("e1", "e2", "w1");
        assertThat(split.lbMemberIds()).containsExactly("e1", "e2");
        assertThat(split.role("e2")).isEqualTo(io.stickyring.chat.cluster.NodeRole.EDGE);
        assertThat(split.role("w1")).isEqualTo(io.stickyring.chat.cluster.NodeRole.WRITER);
        assertThat(split.store()).isEqualTo(PG);
        assertThat(split.bus()).isEqualTo(NATS);
        // Unchanged without the new flags: 3 nodes of role all on SQLite.
        DemoConfig plain = parse();
        assertThat(plain).isEqualTo(DemoConfig.defaults());
        assertThat(plain.split()).isFalse();
        assertThat(plain.store()).isNull();
        assertThat(plain.nodeIds()).containsExactly("n1", "n2", "n3");
        assertThat(plain.role("n1")).isEqualTo(io.stickyring.chat.cluster.NodeRole.ALL);
        assertThat(parse("--nodes", "2", "--edges", "0", "--writers", "0").nodeIds()).containsExactly("n1", "n2");
        DemoConfig allOnPg = parse("--nodes", "2", "--store", PG, "--bus", NATS);
        assertThat(allOnPg.split()).isFalse();
        assertThat(allOnPg.lbMemberIds()).containsExactly("n1", "n2");
    }

    private static DemoConfig parse(String... args) {
        DemoCommand cmd = new DemoCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.toConfig();
    }

    @Test
    void aTakenPortFailsFastNamingTheFlagBeforeAnythingStarts() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Path data = dir.resolve("data");
            Result r = run("demo", "--port", Integer.toString(taken.getLocalPort()), "--admin-port", "0", "--control-port", "0",
                    "--data", data.toString(), "--no-console");
            assertThat(r.code).isEqualTo(1);
            assertThat(r.err).contains("port (" + taken.getLocalPort() + ") on 127.0.0.1 is not free", "pass --port");
            assertThat(Files.exists(data.resolve("zk"))).as("ZooKeeper not started").isFalse();
        }
    }

    @Test
    void aNodeThatCannotStartIsNamedWithItsLogAndNothingIsLeftRunning() throws Exception {
        Path data = dir.resolve("data");
        Result r = run("demo", "--nodes", "1", "--port", "0", "--admin-port", "0", "--control-port", "0", "--data", data.toString(),
                "--node-jvm-opts", "-Xmx1k", "--no-console");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("node n1 exited with status 1 before serving", data.resolve("n1/node.log").toAbsolutePath().toString());
        assertThat(Files.readString(data.resolve("n1/node.log"))).containsIgnoringCase("heap");
        // The demo stopped what it had started: its data directory is free for the next run.
        Result again = run("demo", "--nodes", "1", "--port", "0", "--admin-port", "0", "--control-port", "0", "--data", data.toString(),
                "--node-jvm-opts", "-Xmx1k", "--no-console");
        assertThat(again.err).doesNotContain("in use by another running demo");
    }

    @Test
    void remoteActionsNameAMissingDemo() throws Exception {
        int free;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = s.getLocalPort();
        }
        Result r = run("demo", "--control-port", Integer.toString(free), "--status");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("no demo is running with its control endpoint on http://127.0.0.1:" + free + "/");
        assertThat(run("demo", "--control-port", "0", "--kill", "n1").err).contains("--control-port (0) must name the running demo's port");
        assertThat(run("demo", "--kill", "n1", "--start", "n1").code).isEqualTo(2); // mutually exclusive
    }

    @Test
    void configDefaultsAreTheDocumentedOnes() {
        DemoConfig d = DemoConfig.defaults();
        assertThat(d.nodes()).isEqualTo(3);
        assertThat(d.port()).isEqualTo(8080);
        assertThat(d.adminPort()).isEqualTo(9090);
        assertThat(d.controlPort()).isEqualTo(9091);
        assertThat(d.host()).isEqualTo("127.0.0.1");
        assertThat(d.dataDir()).isEqualTo(Path.of("demo-data"));
        assertThat(d.nodeIds()).containsExactly("n1", "n2", "n3");
        assertThat(d.algorithm()).isEqualTo("ring");
        assertThat(d.sharedStore()).isTrue();
        assertThat(d.onFreePorts().port()).isZero();
        assertThatThrownBy(() -> new DemoConfig(3, " ", 0, 0, 0, dir, "demo", List.of(), java.time.Duration.ofSeconds(2), "ring", true))
                .hasMessageContaining("host ( ) must not be blank");
    }

    @Test
    void signalQueryOfTheControlEndpoint() {
        assertThat(DemoControlServer.forced(null)).isFalse();
        assertThat(DemoControlServer.forced("signal=TERM")).isFalse();
        assertThat(DemoControlServer.forced("signal=15")).isFalse();
        assertThat(DemoControlServer.forced("signal=KILL")).isTrue();
        assertThat(DemoControlServer.forced("x=1&signal=9")).isTrue();
        assertThatThrownBy(() -> DemoControlServer.forced("signal=HUP")).hasMessageContaining("signal (HUP) must be KILL (9) or TERM (15)");
    }
}
