package io.stickyring.sim;

import io.stickyring.cli.DurationConverter;
import io.stickyring.sim.algo.AlgorithmSpec;
import io.stickyring.sim.algo.ProductionCatalog;
import io.stickyring.sim.report.Fmt;
import io.stickyring.sim.report.Reports;
import io.stickyring.sim.report.TextTable;
import io.stickyring.sim.whatif.AdminClient;
import io.stickyring.sim.whatif.Change;
import io.stickyring.sim.whatif.LbView;
import io.stickyring.sim.whatif.WhatIf;
import io.stickyring.sim.workload.AddressFile;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** `sim whatif`: which live connections a proposed change would move, from a running LB's admin API. */
@Command(name = "whatif", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Predict exactly which live connections of a running LB a membership change would move.",
                "Reads GET <lb>/members (or --members-file) and the live connections from GET <lb>/connections",
                "(or --connections FILE: 'ip[,member][,count]' lines or JSON {\"connections\":[{\"ip\",\"member\"}]}),",
                "then maps every client with the production algorithm before and after the change."},
        footer = {"", "Example: sim whatif --lb http://127.0.0.1:9090 --remove m002 --add m010=10.0.0.10:8080"})
public final class WhatIfCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    io.stickyring.cli.ConfigOption config = new io.stickyring.cli.ConfigOption();

    @Option(names = "--lb", paramLabel = "URL", description = "LB admin base URL, e.g. http://127.0.0.1:9090")
    String lb;

    @Option(names = "--members-file", paramLabel = "FILE", description = "A saved /members JSON instead of --lb.")
    Path membersFile;

    @Option(names = "--connections", paramLabel = "FILE", description = "Live connections export (default: GET <lb>/connections).")
    Path connectionsFile;

    @Option(names = "--remove", paramLabel = "ID", split = ",", description = "Member to remove (repeat).")
    List<String> remove = new ArrayList<>();

    @Option(names = "--drain", paramLabel = "ID", split = ",", description = "Member to drain (repeat).")
    List<String> drain = new ArrayList<>();

    @Option(names = "--add", paramLabel = "ID=HOST:PORT[/W]", description = "Member to add (repeat), the LB's --backend syntax; weight after '/'.")
    List<String> add = new ArrayList<>();

    @Option(names = "--weight", paramLabel = "ID=W", split = ",", description = "New weight (repeat).")
    List<String> weight = new ArrayList<>();

    @Option(names = {"-a", "--algorithm"}, paramLabel = "SPEC", description = "Algorithm spec (default: the one /members reports, else ring).")
    String algorithm;

    @Option(names = "--key-mode", defaultValue = "address", description = "Client key mode as the LB's --key-mode (default ${DEFAULT-VALUE}).")
    String keyMode;

    @picocli.CommandLine.Mixin
    KeyOptions keyOptions = new KeyOptions();

    @Option(names = "--list", defaultValue = "20", description = "Moved connections to print (default ${DEFAULT-VALUE}; all go to --csv).")
    int list;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write every moved connection as CSV ip,count,from,to,reason.")
    Path csv;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the prediction as JSON.")
    Path json;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token for the LB admin API (default: $STICKYRING_ADMIN_TOKEN if set).")
    String token = System.getenv("STICKYRING_ADMIN_TOKEN");

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "HTTP timeout per request to the LB (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        WhatIfCommand self = config.resolve(WhatIfCommand::new);
        if (self != this) {
            return self.call();
        }
        return Cli.guard(spec, this::execute);
    }

    private Integer execute() throws Exception {
        if ((lb == null) == (membersFile == null)) {
            throw new IllegalArgumentException("give exactly one of --lb URL or --members-file FILE");
        }
        if (timeout.isZero()) {
            throw new IllegalArgumentException("--timeout (0): must be longer than 0, e.g. 5s");
        }
        Map<String, Integer> adds = new LinkedHashMap<>();
        for (String a : add) {
            Map.Entry<String, Integer> e = Change.parseAdd(a);
            adds.put(e.getKey(), e.getValue());
        }
        Map<String, Integer> weights = new LinkedHashMap<>();
        for (String w : weight) {
            String[] kv = w.split("=", 2);
            if (kv.length != 2 || kv[0].isBlank()) {
                throw new IllegalArgumentException("--weight (" + w + "): must be ID=WEIGHT");
            }
            weights.put(kv[0].trim(), io.stickyring.cli.MemberSpec.weight("--weight", w, kv[1]));
        }
        Change change = new Change(remove, drain, adds, weights);
        AdminClient client = lb == null ? null : new AdminClient(lb, token, timeout);
        String base = client == null ? null : client.base();
        LbView view = membersFile != null ? LbView.parse(Files.readString(membersFile), membersFile.toString())
                : LbView.parse(client.get("/members", true), base + "/members");
        List<AddressFile.Entry> connections;
        String connSource;
        if (connectionsFile != null) {
            connections = AddressFile.read(connectionsFile);
            connSource = connectionsFile.toString();
        } else if (base != null) {
            String body = client.get("/connections", false);
            connSource = base + "/connections";
            // An idle LB lists no connections: predict from /members' shares instead of failing.
            connections = body == null ? List.of() : AddressFile.parseLive(body, connSource);
        } else {
            connections = List.of();
            connSource = "none";
        }
        String alg = algorithm != null ? algorithm : defaultAlgorithm(view);
        ProductionCatalog catalog = new ProductionCatalog(keyOptions.clientKeys(keyMode));
        AlgorithmSpec spec0 = catalog.parse(alg);
        if (view.algorithm() != null && view.algorithm().endsWith("+bounded") && algorithm == null) {
            spec.commandLine().getErr().println("note: the LB runs " + view.algorithm() + "; predicting with the base "
                    + "algorithm's owners (connections placed on a fallback by the load bound show as mismatches)");
        }
        WhatIf.Prediction p = WhatIf.predict(view, change, spec0, catalog.clientKeys(), connections, 1_000_000, 1);
        print(p, connSource, list, spec.commandLine().getOut());
        if (client != null) {
            lbOwnWhatIf(client, change, spec.commandLine().getOut());
        }
        if (csv != null) {
            StringBuilder sb = new StringBuilder("ip,count,from,to,reason\n");
            for (WhatIf.Move m : p.moves()) {
                sb.append(m.ip()).append(',').append(m.count()).append(',').append(m.from()).append(',').append(m.to())
                        .append(',').append(m.reason()).append('\n');
            }
            Reports.write(sb.toString(), csv);
            spec.commandLine().getOut().println("wrote " + csv);
        }
        if (json != null) {
            Reports.writeJson(p, json);
            spec.commandLine().getOut().println("wrote " + json);
        }
        spec.commandLine().getOut().flush();
        return 0;
    }

    /**
     * The LB's own estimate from {@code GET /whatif?remove=ID&add=ID=HOST:PORT} (it supports one
     * removal and one addition), printed next to ours as a cross-check; skipped when the change is
     * outside what the endpoint takes or the LB does not have it.
     */
    private void lbOwnWhatIf(AdminClient client, Change change, PrintWriter out) {
        if (change.remove().size() > 1 || add.size() > 1 || !change.drain().isEmpty() || !change.weight().isEmpty()) {
            return;
        }
        StringBuilder q = new StringBuilder("/whatif?");
        if (!change.remove().isEmpty()) {
            q.append("remove=").append(java.net.URLEncoder.encode(change.remove().get(0), java.nio.charset.StandardCharsets.UTF_8));
        }
        if (!add.isEmpty()) {
            String a = add.get(0).contains("/") ? add.get(0).substring(0, add.get(0).lastIndexOf('/')) : add.get(0);
            if (!a.contains("=")) {
                return;
            }
            q.append(q.charAt(q.length() - 1) == '?' ? "" : "&").append("add=")
                    .append(java.net.URLEncoder.encode(a, java.nio.charset.StandardCharsets.UTF_8));
        }
        try {
            String body = client.get(q.toString(), false);
            if (body == null) {
                return;
            }
            com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
            if (!n.has("keySpaceMoved")) {
                return;
            }
            out.printf("LB's own /whatif: key space moved %s, live connections on removed %d, remapped %d%n",
                    Fmt.pct(n.get("keySpaceMoved").asDouble()), n.path("liveConnectionsOnRemoved").asLong(),
                    n.path("liveConnectionsRemapped").asLong());
        } catch (Exception e) {
            out.println("LB's own /whatif: unavailable (" + e.getMessage() + ")");
        }
    }

    /** The algorithm the LB reports, with its parameters, as a spec string. */
    static String defaultAlgorithm(LbView view) {
        if (view.algorithm() == null) {
            return "ring";
        }
        String a = view.algorithm().toLowerCase();
        if (a.endsWith("+bounded")) {
            // Bounded-load picks depend on live loads; predict with the base owner (see the docs).
            a = a.substring(0, a.length() - "+bounded".length());
        }
        if (a.equals("ring") && view.vnodes() != null) {
            return "ring:vnodes=" + view.vnodes();
        }
        if (a.equals("maglev") && view.maglevTableSize() != null) {
            return "maglev:table=" + view.maglevTableSize();
        }
        return a;
    }

    static void print(WhatIf.Prediction p, String connSource, int list, PrintWriter out) {
        out.printf("view version %d, algorithm %s%n", p.version(), p.algorithm());
        out.printf("ring now   : %s%nring after : %s%n", p.before(), p.after());
        out.printf("key space moved: %s (ideal minimum %s)%n", Fmt.pct(p.keySpaceMoved()), Fmt.pct(p.ideal()));
        if (p.connections() == 0) {
            out.printf("live connections: none listed (source: %s); new connections would split by key-space share:%n", connSource);
            TextTable t = new TextTable(List.of("member", "share now", "share after", "change"));
            p.shares().forEach((id, sh) -> t.row(List.of(id, Fmt.pct(sh[0]), Fmt.pct(sh[1]),
                    String.format(java.util.Locale.ROOT, "%+.2f pp", 100 * (sh[1] - sh[0])))));
            out.print(t.render());
        } else {
            out.printf("live connections moved: %d of %d (%s), source %s%n", p.movedConnections(), p.connections(),
                    Fmt.pct((double) p.movedConnections() / p.connections()), connSource);
            if (p.mismatches() > 0) {
                out.printf("warning: %d connections are not on the member the model predicts now (bounded load, or "
                        + "opened before the last view change); their current member is taken from the export%n", p.mismatches());
            }
            TextTable t = new TextTable(List.of("member", "connections now", "after", "change"));
            p.perMember().forEach((id, c) -> t.row(List.of(id, String.valueOf(c[0]), String.valueOf(c[1]),
                    String.format("%+d", c[1] - c[0]))));
            out.print(t.render());
            if (!p.moves().isEmpty()) {
                TextTable m = new TextTable(List.of("client", "count", "from", "to", "why"));
                p.moves().stream().limit(Math.max(0, list)).forEach(x -> m.row(List.of(x.ip(), String.valueOf(x.count()),
                        x.from(), x.to(), x.reason())));
                out.print(m.render());
                if (p.moves().size() > list) {
                    out.printf("... %d more (use --csv FILE for all)%n", p.moves().size() - list);
                }
            }
        }
    }
}
