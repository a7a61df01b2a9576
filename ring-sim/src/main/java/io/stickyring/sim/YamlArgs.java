package io.stickyring.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * `--config FILE` for commands whose options map one to one onto YAML keys: each key is a long
 * option name without the dashes ({@code members: 10} is {@code --members 10}; a list repeats the
 * option; {@code true}/{@code false} set a flag or its {@code --no-} form). Options given on the
 * command line win: the file's value for them is dropped, lists included.
 */
final class YamlArgs {

    private YamlArgs() {
    }

    /** The file's options as arguments, minus those the command line already set, then the command line without --config. */
    static String[] merge(CommandSpec spec, Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
        } catch (IOException e) {
            throw unreadable(file, e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("config " + file + " must be a YAML mapping");
        }
        ParseResult pr = spec.commandLine().getParseResult();
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            OptionSpec opt = spec.findOption("--" + e.getKey());
            if (opt == null || e.getKey().equals("config")) {
                throw new IllegalArgumentException("config " + file + ": unknown key '" + e.getKey() + "' (keys are "
                        + spec.name() + "'s long option names without dashes)");
            }
            if (pr.hasMatchedOption(opt)) {
                continue;
            }
            JsonNode v = e.getValue();
            if (opt.arity().max() == 0 || (opt.negatable() && v.isBoolean())) {
                if (!v.isBoolean()) {
                    throw new IllegalArgumentException("config " + file + ": " + e.getKey() + " (" + v + ") must be true or false");
                }
                if (v.asBoolean()) {
                    out.add("--" + e.getKey());
                } else if (opt.negatable()) {
                    out.add("--no-" + e.getKey());
                }
                continue;
            }
            List<JsonNode> values = new ArrayList<>();
            if (v.isArray()) {
                v.forEach(values::add);
            } else {
                values.add(v);
            }
            for (JsonNode x : values) {
                if (x.isContainerNode()) {
                    throw new IllegalArgumentException("config " + file + ": " + e.getKey() + " (" + x + ") must be a scalar or a list of scalars");
                }
                out.add("--" + e.getKey());
                out.add(x.asText());
            }
        }
        List<String> original = new ArrayList<>(pr.originalArgs());
        // Under a parent command originalArgs() starts with the command path (stickyring sim whatif ...).
        if (spec.parent() != null) {
            int at = original.indexOf(spec.name());
            if (at >= 0) {
                original = original.subList(at + 1, original.size());
            }
        }
        for (int i = 0; i < original.size(); i++) {
            String a = original.get(i);
            if (a.equals("--config")) {
                i++;
            } else if (!a.startsWith("--config=")) {
                out.add(a);
            }
        }
        return out.toArray(String[]::new);
    }

    /** Re-runs the command with the merged arguments, with the same output streams. */
    static int rerun(CommandSpec spec, Object freshCommand, Path file) {
        CommandLine cl = new CommandLine(freshCommand);
        cl.setOut(spec.commandLine().getOut());
        cl.setErr(spec.commandLine().getErr());
        return cl.execute(merge(spec, file));
    }

    /** The launcher's one wording for an unreadable --config (as membership's StartupException.unreadableConfig). */
    static IllegalArgumentException unreadable(Path file, IOException e) {
        String why = e instanceof java.nio.file.NoSuchFileException ? "no such file"
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " ");
        return new IllegalArgumentException("--config (" + file + "): cannot read: " + why, e);
    }
}
