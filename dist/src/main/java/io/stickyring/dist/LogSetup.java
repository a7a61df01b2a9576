package io.stickyring.dist;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.encoder.Encoder;
import io.stickyring.cli.StartupException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.LoggerFactory;

/**
 * The launcher's logging switches, applied before anything logs: {@code --log-format text|json}
 * (the system property {@code stickyring.log.format} that the jar's logback.xml reads) and
 * {@code --access-log FILE} (the LB's per-connection lines, logger {@value #ACCESS_LOGGER}, to their
 * own file instead of stderr). Invariant: the access lines go to exactly one place.
 */
final class LogSetup {

    static final String FORMAT_PROPERTY = "stickyring.log.format";
    static final String ACCESS_LOGGER = "io.stickyring.lb.access";

    private LogSetup() {
    }

    /** Must run before the first logger is created (logback reads the property once). */
    static void format(String value) {
        if (!value.equals("text") && !value.equals("json")) {
            throw new StartupException(StartupException.BAD_INPUT, "--log-format (" + value + ") must be text or json", null);
        }
        System.setProperty(FORMAT_PROPERTY, value);
    }

    /** Sends the access log to {@code file} (appended, created with its directory) and no longer to stderr. */
    static void accessLogTo(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (OutputStream probe = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                probe.flush();
            }
        } catch (IOException e) {
            throw new StartupException(StartupException.ENVIRONMENT, "--access-log (" + file + "): cannot write: "
                    + StartupException.reason(e), e);
        }
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // another SLF4J backend: its own configuration decides
        }
        Encoder<ILoggingEvent> encoder;
        if ("json".equals(System.getProperty(FORMAT_PROPERTY))) {
            // the same fields as the console's JSON encoder in logback.xml
            JsonEncoder j = new JsonEncoder();
            j.setWithSequenceNumber(false);
            j.setWithNanoseconds(false);
            j.setWithContext(false);
            j.setWithFormattedMessage(true);
            j.setWithMessage(false);
            j.setWithArguments(false);
            encoder = j;
        } else {
            PatternLayoutEncoder p = new PatternLayoutEncoder();
            p.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %msg%n");
            encoder = p;
        }
        encoder.setContext(context);
        encoder.start();
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(context);
        appender.setName("ACCESS_FILE");
        appender.setFile(file.toString());
        appender.setAppend(true);
        appender.setEncoder(encoder);
        appender.start();
        Logger access = context.getLogger(ACCESS_LOGGER);
        access.detachAndStopAllAppenders();
        access.addAppender(appender);
        access.setAdditive(false);
    }
}
