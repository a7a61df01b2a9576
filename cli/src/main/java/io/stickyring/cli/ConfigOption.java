package io.stickyring.cli;

import java.nio.file.Path;
import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --config FILE} as a picocli mixin, the same on every command ({@code @Mixin ConfigOption
 * config;}). The command's {@code call()} starts with
 * <pre>
 * MyCommand self = config.resolve(MyCommand::new);
 * if (self != this) return self.call();
 * </pre>
 * so the rest of it sees the file's values under its flags (see {@link ConfigFile}).
 */
public final class ConfigOption {

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML file of defaults: keys are the flag names without dashes (drain-timeout: 5s; a list for a repeatable flag). Flags override it.")
    Path file;

    /** The file given, or null. */
    public Path file() {
        return file;
    }

    /**
     * This command when there is no file (or it is applied already), else a fresh instance from
     * {@code fresh} parsed with the file's values under the same flags.
     */
    @SuppressWarnings("unchecked")
    public <T> T resolve(Supplier<T> fresh) {
        if (file == null || ConfigFile.applied(mixee)) {
            return (T) mixee.userObject();
        }
        return ConfigFile.resolve(mixee, file, fresh);
    }
}
