package io.stickyring.cli;

import java.time.Duration;
import picocli.CommandLine;

/** picocli's side of {@link Durations}: {@code converter = DurationConverter.class} on any duration option. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
