package io.stickyring.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.stickyring.cli.StartupException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import picocli.CommandLine;

/**
 * Picocli default values from a YAML file whose keys are option names without dashes
 * ({@code listen: 127.0.0.1:9001}, {@code max-frame-bytes: 65536}); flags on the command line
 * override the file. Unknown keys are rejected, naming the key, so a typo does not go unnoticed.
 */
final class YamlDefaults implements CommandLine.IDefaultValueProvider {
    private final JsonNode root;
    private final Path file;

    YamlDefaults(Path file, CommandLine.Model.CommandSpec spec) {
        this.file = file;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        } catch (IOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), StartupException.unreadableConfig(file, e));
        }
        if (root == null || !root.isObject()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--config " + file + " must hold a YAML mapping");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (spec.findOption("--" + key) == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "unknown key '" + key + "' in " + file);
            }
        }
    }

    @Override
    public String defaultValue(CommandLine.Model.ArgSpec arg) {
        if (!(arg instanceof CommandLine.Model.OptionSpec o)) {
            return null;
        }
        JsonNode v = root.get(o.longestName().replaceFirst("^--", ""));
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isArray()) {
            List<String> parts = new ArrayList<>();
            v.forEach(x -> parts.add(x.asText()));
            return String.join(",", parts);
        }
        return v.asText();
    }

    @Override
    public String toString() {
        return "YAML " + file;
    }

    /**
     * Applies {@code --config FILE}: when a file was given and is not applied yet, runs a fresh
     * instance of the command with the file's values as defaults (so the flags given still override
     * it) and returns that run's exit code; otherwise returns null and the caller goes on.
     */
    static Integer rerunWithFile(CommandLine.Model.CommandSpec spec, Path file, java.util.function.Supplier<Object> fresh) {
        if (file == null || spec.defaultValueProvider() instanceof YamlDefaults) {
            return null;
        }
        CommandLine again = new CommandLine(fresh.get());
        again.setCommandName(spec.qualifiedName()); // "stickyring node" in messages, as without --config
        again.setOut(spec.commandLine().getOut());
        again.setErr(spec.commandLine().getErr());
        // The launcher's one-line error handlers apply to the re-run too.
        again.setParameterExceptionHandler(spec.commandLine().getParameterExceptionHandler());
        again.setExecutionExceptionHandler(spec.commandLine().getExecutionExceptionHandler());
        // A bad file throws a ParameterException: picocli hands it to the handler, as for a bad flag.
        again.setDefaultValueProvider(new YamlDefaults(file, again.getCommandSpec()));
        return again.execute(ownArgs(spec));
    }

    /**
     * The arguments given to {@code spec}'s own command. When it runs as a subcommand
     * ({@code stickyring node --config f.yaml}), picocli's original arguments start with the parent's
     * tokens, which the command itself cannot parse again.
     */
    private static String[] ownArgs(CommandLine.Model.CommandSpec spec) {
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        CommandLine parent = spec.commandLine().getParent();
        if (parent != null) {
            // Parents take no positional arguments, so the first token equal to this command's
            // name (or an alias) is the one that selected it.
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                if (a.equals(spec.name()) || List.of(spec.aliases()).contains(a)) {
                    return args.subList(i + 1, args.size()).toArray(String[]::new);
                }
            }
        }
        return args.toArray(String[]::new);
    }
}
