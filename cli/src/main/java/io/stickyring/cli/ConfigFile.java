package io.stickyring.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * The one {@code --config FILE} of every stickyring command: a YAML mapping whose keys are the
 * command's long flag names without the dashes, read as picocli default values, so a flag given on
 * the command line always wins.
 *
 * <pre>
 * drain-timeout: 5s          # = --drain-timeout 5s
 * accept-proxy-protocol: true  # a flag: true sets it, false leaves (or, negatable, turns) it off
 * listen: [0.0.0.0:8080, "[::]:8080"]   # a repeatable flag takes a list; a flag on the line replaces the whole list
 * </pre>
 *
 * <p>Invariant: every key names one of the command's options, checked before anything runs.
 * Refused, with one line naming the key and the file: an unknown key; an old camelCase key
 * ({@code zkSessionTimeout}), naming the new spelling ({@code zk-session-timeout}); a list for a
 * flag that takes one value; a nested mapping. A value that does not convert is refused naming the
 * file and the flag.
 */
public final class ConfigFile implements CommandLine.IDefaultValueProvider {

    private static final Set<String> NOT_KEYS = Set.of("config", "help", "version");

    private final Path file;
    private final CommandSpec spec;
    /** Validated keys (long option name without dashes) to their YAML values; nulls dropped. */
    private final Map<String, JsonNode> values;

    private ConfigFile(Path file, CommandSpec spec, Map<String, JsonNode> values) {
        this.file = file;
        this.spec = spec;
        this.values = values;
    }

    /**
     * Reads and checks {@code file} against {@code spec}'s options.
     *
     * @throws IllegalArgumentException one line naming the file and the bad key
     */
    public static ConfigFile read(Path file, CommandSpec spec) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        } catch (Exception e) {
            throw new IllegalArgumentException(StartupException.unreadableConfig(file, e), e);
        }
        Map<String, JsonNode> values = new LinkedHashMap<>();
        if (root == null || root.isNull() || root.isMissingNode()) {
            return new ConfigFile(file, spec, values); // an empty file sets nothing
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("--config (" + file + ") must be a YAML mapping of flag names (without dashes) to values");
        }
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String key = e.getKey();
            OptionSpec o = option(spec, key);
            if (o == null) {
                throw new IllegalArgumentException(unknownKey(spec, file, key));
            }
            JsonNode v = e.getValue();
            if (v == null || v.isNull()) {
                continue;
            }
            if (v.isObject()) {
                throw new IllegalArgumentException("--config (" + file + "): key '" + key + "' must be a value or a list, not a mapping");
            }
            if (v.isArray()) {
                if (!o.isMultiValue()) {
                    throw new IllegalArgumentException("--config (" + file + "): key '" + key + "' takes one value, not a list (--" + key
                            + " is not repeatable)");
                }
                for (JsonNode x : v) {
                    if (x.isContainerNode()) {
                        throw new IllegalArgumentException("--config (" + file + "): key '" + key + "' must list plain values, not " + x);
                    }
                }
            }
            values.put(key, v);
        }
        return new ConfigFile(file, spec, values);
    }

    /**
     * The option a key names, or null. Never keys: {@code config}, {@code help}, {@code version}, and
     * options of an argument group (one-off actions such as {@code demo --kill ID}).
     */
    private static OptionSpec option(CommandSpec spec, String key) {
        if (NOT_KEYS.contains(key) || key.startsWith("-")) {
            return null;
        }
        OptionSpec o = spec.findOption("--" + key);
        return o != null && o.longestName().equals("--" + key) && o.group() == null ? o : null;
    }

    private static String unknownKey(CommandSpec spec, Path file, String key) {
        String kebab = key.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
        if (!kebab.equals(key) && option(spec, kebab) != null) {
            return "--config (" + file + "): key '" + key + "' is the old spelling; write " + kebab + " (keys are flag names without dashes)";
        }
        if (key.endsWith("s") && option(spec, key.substring(0, key.length() - 1)) != null
                && option(spec, key.substring(0, key.length() - 1)).isMultiValue()) {
            String one = key.substring(0, key.length() - 1);
            return "--config (" + file + "): key '" + key + "' is the old spelling; write " + one + " (a list, as --" + one + " repeats)";
        }
        return "--config (" + file + "): unknown key '" + key + "' (keys are the long flag names of '" + spec.qualifiedName()
                + "' without dashes; see --help)";
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec o) || o.command() != spec || o.isMultiValue()) {
            return null; // lists are set by applyLists after the parse
        }
        JsonNode v = values.get(o.longestName().substring(2));
        return v == null ? null : v.asText();
    }

    /**
     * Sets each repeatable option the command line did not give to the file's list (picocli's
     * default values are one string each). Values are split as on the command line when the
     * option has a split regex ({@code --member a,b}).
     */
    private void applyLists(CommandLine.ParseResult parsed) {
        for (Map.Entry<String, JsonNode> e : values.entrySet()) {
            OptionSpec o = option(spec, e.getKey());
            if (!o.isMultiValue() || parsed.hasMatchedOption(o)) {
                continue;
            }
            List<String> list = new ArrayList<>();
            List<JsonNode> nodes = new ArrayList<>();
            if (e.getValue().isArray()) {
                e.getValue().forEach(nodes::add);
            } else {
                nodes.add(e.getValue());
            }
            for (JsonNode x : nodes) {
                if (o.splitRegex().isEmpty()) {
                    list.add(x.asText());
                } else {
                    list.addAll(List.of(x.asText().split(o.splitRegex())));
                }
            }
            Class<?>[] types = o.auxiliaryTypes();
            if (types.length != 1 || types[0] != String.class || !List.class.isAssignableFrom(o.type())) {
                throw new IllegalStateException("--" + e.getKey() + ": a repeatable option read from --config must be a List<String>");
            }
            o.setValue(list);
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public String toString() {
        return "--config " + file;
    }

    /**
     * The command {@code spec} with {@code file}'s values under the flags it was given: a fresh
     * instance from {@code fresh}, parsed from the same arguments with the file as defaults. The
     * file's values are checked on their own first, so a bad one is named with the file.
     *
     * @throws ParameterException one line, naming the file and the key (picocli prints it as a bad flag)
     */
    public static <T> T resolve(CommandSpec spec, Path file, Supplier<T> fresh) {
        CommandLine again = new CommandLine(fresh.get());
        again.setCommandName(spec.qualifiedName()); // "stickyring node" in messages, as without --config
        again.setOut(spec.commandLine().getOut());
        again.setErr(spec.commandLine().getErr());
        ConfigFile config;
        try {
            config = read(file, again.getCommandSpec());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        again.setDefaultValueProvider(config);
        try {
            again.parseArgs(); // the file alone: a value that does not convert is the file's
        } catch (CommandLine.MissingParameterException e) {
            // a required flag may come from the command line
        } catch (ParameterException e) {
            throw new ParameterException(spec.commandLine(), "--config (" + file + "): " + StartupException.oneLine(e.getMessage()));
        }
        CommandLine.ParseResult parsed = again.parseArgs(ownArgs(spec));
        config.applyLists(parsed);
        return again.getCommand();
    }

    /** True when {@code spec} already runs with a {@code --config} file as its defaults. */
    public static boolean applied(CommandSpec spec) {
        return spec.defaultValueProvider() instanceof ConfigFile;
    }

    /**
     * The arguments given to {@code spec}'s own command. Under a parent ({@code stickyring sim run
     * --config f.yaml}) picocli's original arguments start with the parents' tokens; parents take
     * no positional arguments, so the path's names, found in order, mark where this command starts.
     */
    static String[] ownArgs(CommandSpec spec) {
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        List<CommandSpec> path = new ArrayList<>();
        for (CommandSpec c = spec; c.parent() != null; c = c.parent()) {
            path.add(0, c);
        }
        int at = 0;
        for (CommandSpec c : path) {
            while (at < args.size() && !args.get(at).equals(c.name()) && !List.of(c.aliases()).contains(args.get(at))) {
                at++;
            }
            at++;
        }
        return args.subList(Math.min(at, args.size()), args.size()).toArray(String[]::new);
    }
}
