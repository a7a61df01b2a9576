package io.stickyring.sim.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.stickyring.sim.engine.EventResult;
import io.stickyring.sim.engine.SimResult;
import io.stickyring.sim.engine.StepResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Renders a {@link SimResult} as a terminal table, CSV and JSON. */
public final class Reports {

    private Reports() {
    }

    public static String table(SimResult r, boolean steps) {
        StringBuilder sb = new StringBuilder();
        sb.append("workload: ").append(r.workload()).append(", ").append(r.connections()).append(" connections, seed ")
                .append(r.seed()).append('\n');
        TextTable t = new TextTable(List.of("algorithm", "#", "event", "steps", "ring", "keys moved", "ideal", "x ideal", "conns moved",
                "conns ideal", "receivers", "to new", "from gone", "between", "dropped", "net", "peak/avg", "min/avg",
                "std dev", "noise floor", "max share", "lookup", "build", "memory"));
        String last = null;
        for (EventResult e : r.events()) {
            if (last != null && !last.equals(e.algorithm())) {
                t.rule();
            }
            last = e.algorithm();
            boolean init = e.event() == 0;
            t.row(List.of(e.algorithm(), String.valueOf(e.event()), e.eventText(), String.valueOf(e.steps()),
                    String.valueOf(e.ringMembers()), init ? "-" : Fmt.pct(e.movedKeys()), init ? "-" : Fmt.pct(e.ideal()),
                    init ? "-" : Fmt.times(e.excess()), init ? "-" : Fmt.pct(e.movedConns()),
                    init ? "-" : Fmt.pct(e.idealConns()), init ? "-" : String.valueOf(e.receivers()),
                    init ? "-" : Fmt.pct(e.toNew()),
                    init ? "-" : Fmt.pct(e.fromGone()), init ? "-" : Fmt.pct(e.between()),
                    init ? "-" : Fmt.pct(e.dropped()), init ? "-" : Fmt.pct(e.netMoved()),
                    Fmt.ratio(e.load().peakToAverage()), Fmt.ratio(e.load().minToAverage()), Fmt.pct(e.load().stdDev()),
                    Fmt.pct(e.noiseFloor()), Fmt.pct(e.load().maxShare()),
                    Fmt.ns(e.lookupNs()), Fmt.ms(e.buildMs()), Fmt.bytes(e.memoryBytes())));
        }
        sb.append(t.render());
        if (steps) {
            TextTable s = new TextTable(List.of("algorithm", "#", "step", "ring", "keys moved", "ideal", "conns moved", "to new",
                    "from gone", "between", "dropped", "peak/avg", "std dev"));
            last = null;
            for (StepResult x : r.steps()) {
                if (last != null && !last.equals(x.algorithm())) {
                    s.rule();
                }
                last = x.algorithm();
                s.row(List.of(x.algorithm(), x.event() + "." + x.step(), x.stepLabel(), String.valueOf(x.ringMembers()),
                        Fmt.pct(x.movedKeys()), Fmt.pct(x.ideal()), Fmt.pct(x.movedConns()), Fmt.pct(x.toNew()), Fmt.pct(x.fromGone()),
                        Fmt.pct(x.between()), Fmt.pct(x.dropped()), Fmt.ratio(x.load().peakToAverage()),
                        Fmt.pct(x.load().stdDev())));
            }
            sb.append('\n').append(s.render());
        }
        sb.append(String.format(java.util.Locale.ROOT, "%d algorithms x %d steps x %d keys in %.1f s%n",
                r.algorithms().size(), r.steps().size() / Math.max(1, r.algorithms().size()) + 1, r.keys(),
                r.elapsedSeconds()));
        return sb.toString();
    }

    /** One row per event and per step (column {@code level}); fractions as plain numbers in [0, 1]. */
    public static String csv(SimResult r) {
        List<String> lines = new ArrayList<>();
        lines.add("level,algorithm,event,step,label,ring_members,moved_keys,moved_conns,ideal,to_new,from_gone,between,"
                + "dropped,net_moved,peak_to_avg,std_dev,max_share,lookup_ns,build_ms,memory_bytes,ideal_conns,receivers,"
                + "min_to_avg,noise_floor");
        for (EventResult e : r.events()) {
            lines.add(String.join(",", "event", csvText(e.algorithm()), String.valueOf(e.event()), "",
                    csvText(e.eventText()), String.valueOf(e.ringMembers()), Fmt.num(e.movedKeys()),
                    Fmt.num(e.movedConns()), Fmt.num(e.ideal()), Fmt.num(e.toNew()), Fmt.num(e.fromGone()),
                    Fmt.num(e.between()), Fmt.num(e.dropped()), Fmt.num(e.netMoved()),
                    Fmt.num(e.load().peakToAverage()), Fmt.num(e.load().stdDev()), Fmt.num(e.load().maxShare()),
                    Fmt.num(e.lookupNs()), Fmt.num(e.buildMs()), e.memoryBytes() < 0 ? "" : String.valueOf(e.memoryBytes()),
                    Fmt.num(e.idealConns()), String.valueOf(e.receivers()), Fmt.num(e.load().minToAverage()),
                    Fmt.num(e.noiseFloor())));
        }
        for (StepResult s : r.steps()) {
            lines.add(String.join(",", "step", csvText(s.algorithm()), String.valueOf(s.event()), String.valueOf(s.step()),
                    csvText(s.stepLabel()), String.valueOf(s.ringMembers()), Fmt.num(s.movedKeys()),
                    Fmt.num(s.movedConns()), Fmt.num(s.ideal()), Fmt.num(s.toNew()), Fmt.num(s.fromGone()),
                    Fmt.num(s.between()), Fmt.num(s.dropped()), "", Fmt.num(s.load().peakToAverage()),
                    Fmt.num(s.load().stdDev()), Fmt.num(s.load().maxShare()), Fmt.num(s.lookupNs()),
                    Fmt.num(s.buildMs()), "", Fmt.num(s.idealConns()), String.valueOf(s.receivers()),
                    Fmt.num(s.load().minToAverage()), ""));
        }
        return String.join("\n", lines) + "\n";
    }

    static String csvText(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    public static ObjectMapper json() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    public static void writeJson(Object value, Path file) throws IOException {
        json().writeValue(file.toFile(), value);
    }

    public static void write(String text, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
