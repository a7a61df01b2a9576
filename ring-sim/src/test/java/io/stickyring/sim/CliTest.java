package io.stickyring.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The `sim` command line end to end: flags, YAML config, output files, and errors that name the bad value. */
class CliTest {

    record Run(int code, String out, String err) {
    }

    static Run sim(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = SimMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void runWritesTableCsvJsonAndCharts(@TempDir Path dir) throws Exception {
        Run r = sim("run", "-n", "6", "-a", "ring", "-a", "maglev:table=1009", "-w", "ipv4:n=20000", "-e", "fail:1",
                "-e", "add:2", "--steps", "--csv", dir.resolve("r.csv").toString(), "--json",
                dir.resolve("r.json").toString(), "--charts", dir.resolve("charts").toString(), "--no-progress");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("algorithm", "maglev:table=1009", "fail:1", "add:2", "peak/avg");
        List<String> csv = Files.readAllLines(dir.resolve("r.csv"));
        assertThat(csv.get(0)).startsWith("level,algorithm,event,step,label");
        // 2 algorithms x (initial + 2 events) event rows, + 2 x 2 step rows.
        assertThat(csv).hasSize(1 + 6 + 4);
        assertThat(csv.get(1).split(",", -1)).hasSize(csv.get(0).split(",").length);
        JsonNode json = new ObjectMapper().readTree(dir.resolve("r.json").toFile());
        assertThat(json.get("events")).hasSize(6);
        assertThat(json.get("events").get(1).get("eventText").asText()).isEqualTo("fail:1");
        for (String png : List.of("moved.png", "moved-vs-ideal.png", "load-initial.png", "load-final.png")) {
            byte[] b = Files.readAllBytes(dir.resolve("charts").resolve(png));
            assertThat(b.length).as(png).isGreaterThan(1000);
            assertThat(new String(b, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
        }
    }

    @Test
    void yamlConfigIsReadAndFlagsOverrideIt(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("sim.yaml");
        Files.writeString(yaml, """
                member: [big/3, "small,small2"]
                algorithm: [rendezvous]
                workload: "ipv4:n=5000"
                event: ["weight:big=1"]
                seed: 4
                """);
        Run r = sim("run", "--config", yaml.toString(), "--no-progress", "--no-memory");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("rendezvous", "weight:big=1", "seed 4");
        // weights 3,1,1 -> 1,1,1: big's share falls from 3/5 to 1/3, the ideal move is 26.67%.
        assertThat(r.out()).contains("26.67%");
        Run o = sim("run", "--config", yaml.toString(), "-a", "jump", "--seed", "5", "--no-progress");
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.out()).contains("jump", "seed 5").doesNotContain("rendezvous");

        // The keys of the old run-only format are refused naming the flag-name key to write.
        Files.writeString(yaml, "keyMode: prefix\n");
        Run old = sim("run", "--config", yaml.toString());
        assertThat(old.code()).isEqualTo(2);
        assertThat(old.err()).contains("key 'keyMode' is the old spelling; write key-mode").contains(yaml.toString())
                .doesNotContain("Usage:"); // one line and the --help hint, as in the launcher
        Files.writeString(yaml, "algorithms: [ring]\n");
        assertThat(sim("run", "--config", yaml.toString()).err()).contains("key 'algorithms' is the old spelling; write algorithm");
        Files.writeString(yaml, "members: [{id: a}]\n");
        assertThat(sim("run", "--config", yaml.toString()).err()).contains("key 'members' takes one value, not a list");
    }

    @Test
    void sweepPaperAndWhatifTakeYamlConfigWithFlagsWinning(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("sweep.yaml");
        Files.writeString(yaml, "members: 4\nseries: [\"ring:vnodes=10,20\"]\nworkload: \"ipv4:n=1000\"\nprogress: false\n");
        Run a = sim("sweep", "--config", yaml.toString());
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.out()).contains("4 equal members", "ipv4:n=1000").containsPattern("ring +vnodes +20");
        Run b = sim("sweep", "--members", "5", "--config", yaml.toString(), "-s", "maglev:table=101");
        assertThat(b.code()).as(b.err()).isZero();
        assertThat(b.out()).contains("5 equal members", "maglev").doesNotContain("vnodes");
        Path p = dir.resolve("paper.yaml");
        Files.writeString(p, "buckets: 20\nkeys: 5000\n");
        Run c = sim("paper", "lamping2014", "--config", p.toString());
        assertThat(c.code()).as(c.err()).isZero();
        assertThat(c.out()).contains("lamping2014: 20 buckets", "5000 sampled");
        Path m = dir.resolve("members.json");
        Files.writeString(m, "{\"version\":3,\"members\":[{\"id\":\"a\"},{\"id\":\"b\"},{\"id\":\"c\",\"weight\":2}]}");
        Path w = dir.resolve("whatif.yaml");
        Files.writeString(w, "members-file: " + m + "\nremove: [a]\n");
        Run d = sim("whatif", "--config", w.toString());
        assertThat(d.code()).as(d.err()).isZero();
        assertThat(d.out()).contains("ring after : [b, c]", "ideal minimum 25.00%");
        Run e = sim("whatif", "--config", w.toString(), "--remove", "c");
        assertThat(e.out()).contains("ring after : [a, b]", "ideal minimum 50.00%");
        Files.writeString(w, "member-file: x\n");
        Run f = sim("whatif", "--config", w.toString());
        assertThat(f.code()).isEqualTo(2);
        assertThat(f.err()).contains("unknown key 'member-file'");
    }

    @Test
    void drainingAZoneMovesItsThird(@TempDir Path dir) throws Exception {
        Run r = sim("run", "-n", "9", "--zones", "3", "-a", "rendezvous", "-w", "ipv4:n=30000", "-e", "drain:zone=z2",
                "--no-progress", "--no-memory", "--csv", dir.resolve("z.csv").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("drain:zone=z2", "33.33%");
        Run m = sim("run", "--member", "a/2:zone=east,b:zone=east,c:zone=west,d:zone=west", "-a", "ring", "-w", "ipv4:n=1000",
                "-e", "fail:zone=east", "--no-progress", "--no-memory");
        assertThat(m.code()).as(m.err()).isZero();
        // a (weight 2) and b leave: 3/5 of the key space must move.
        assertThat(m.out()).contains("60.00%");
    }

    @Test
    void badInputFailsWithTheValueNamed(@TempDir Path dir) throws Exception {
        Run a = sim("run", "-a", "ring:vnodes=0", "-w", "ipv4:n=10");
        assertThat(a.code()).isNotZero();
        assertThat(a.err()).contains("vnodes (0) must be >= 1");
        Run b = sim("run", "-a", "chord", "-w", "ipv4:n=10");
        assertThat(b.err()).contains("unknown hash algorithm 'chord'");
        Run c = sim("run", "-e", "fail:m099", "-w", "ipv4:n=10");
        assertThat(c.err()).contains("member 'm099' is not in the ring");
        Path yaml = dir.resolve("bad.yaml");
        Files.writeString(yaml, "membres: 3\n");
        Run d = sim("run", "--config", yaml.toString());
        assertThat(d.err()).contains("unknown key 'membres'");
        Run e = sim("run", "--threads", "0", "-w", "ipv4:n=10");
        assertThat(e.err()).contains("threads (0) must be in 1..64");
    }

    /** Splits one CSV line, honouring double-quoted fields. */
    static List<String> csvFields(String line) {
        List<String> out = new java.util.ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') {
                if (quoted && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else {
                    quoted = !quoted;
                }
            } else if (c == ',' && !quoted) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    @Test
    void helpOnEveryCommand() {
        for (String c : List.of("run", "sweep", "paper", "whatif", "algorithms")) {
            Run r = sim(c, "--help");
            assertThat(r.code()).as(c).isZero();
            assertThat(r.out()).as(c).contains("Usage:");
        }
        assertThat(sim().out()).contains("run", "sweep", "paper", "whatif");
    }

    @Test
    void progressBarGoesToStderrWhenAsked() {
        Run r = sim("run", "-n", "4", "-a", "ring", "-w", "ipv4:n=200000", "-e", "fail:1", "--progress", "--no-memory");
        assertThat(r.code()).isZero();
        assertThat(r.err()).contains("sim [", "100.0%");
        assertThat(r.out()).doesNotContain("100.0%");
    }

    @Test
    void sweepShowsRingBalanceImprovingWithVnodes(@TempDir Path dir) throws Exception {
        Run r = sim("sweep", "-n", "10", "-s", "ring:vnodes=10,1000", "-s", "maglev:table=1009,65537", "-w",
                "ipv4:n=50000", "--csv", dir.resolve("s.csv").toString(), "--charts", dir.toString(), "--progress",
                "--json", dir.resolve("s.json").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("sweep [", "100.0%");
        assertThat(new ObjectMapper().readTree(dir.resolve("s.json").toFile()).get(1).get("keySpace").get("stdDev").asDouble())
                .isLessThan(0.06);
        List<String> csv = Files.readAllLines(dir.resolve("s.csv"));
        assertThat(csv).hasSize(5);
        double sd10 = Double.parseDouble(csv.get(1).split(",")[4]);
        double sd1000 = Double.parseDouble(csv.get(2).split(",")[4]);
        // Ring std dev ~ 1/sqrt(vnodes): about 32% at 10, about 3% at 1000.
        assertThat(sd10).isGreaterThan(3 * sd1000);
        assertThat(Files.size(dir.resolve("balance-peak.png"))).isGreaterThan(1000);
        assertThat(Files.size(dir.resolve("balance-stddev.png"))).isGreaterThan(1000);
    }

    @Test
    void paperPresetsRunAtSmallScale(@TempDir Path dir) throws Exception {
        Run l = sim("paper", "lamping2014", "--buckets", "100", "--keys", "200000", "--csv",
                dir.resolve("l.csv").toString(), "--charts", dir.toString(), "--progress");
        assertThat(l.code()).as(l.err()).isZero();
        assertThat(l.err()).contains("paper lamping2014 [", "100.0%");
        assertThat(l.out()).contains("k=1 points/bucket", "k=1000", "jump", "1/sqrt(k)");
        List<String> rows = Files.readAllLines(dir.resolve("l.csv"));
        double k1 = Double.parseDouble(csvFields(rows.get(1)).get(4));
        double k1000 = Double.parseDouble(csvFields(rows.get(4)).get(4));
        assertThat(csvFields(rows.get(4)).get(2)).contains("k=1000");
        assertThat(k1).isGreaterThan(0.5);     // one point per bucket: arcs are exponential, std dev ~100%
        assertThat(k1000).isLessThan(0.06);   // ~1/sqrt(1000) = 3.2%
        assertThat(Files.size(dir.resolve("lamping2014.png"))).isGreaterThan(1000);
        Run m = sim("paper", "maglev2016", "--buckets", "100", "--charts", dir.toString(), "--json",
                dir.resolve("m.json").toString());
        assertThat(m.code()).as(m.err()).isZero();
        JsonNode mrows = new ObjectMapper().readTree(dir.resolve("m.json").toFile());
        assertThat(mrows).hasSize(6 + 16);
        assertThat(mrows.get(0).get("algorithm").asText()).isEqualTo("maglev");
        // Maglev's own table with 100 backends and 65537 slots is within one slot of even.
        assertThat(mrows.get(0).get("ours").asDouble()).isLessThan(1.02);
        assertThat(m.out()).contains("maglev2016 balance", "maglev2016 disruption", "M=655373");
        assertThat(sim("paper", "knuth1973").err()).contains("unknown paper 'knuth1973'");
    }
}
