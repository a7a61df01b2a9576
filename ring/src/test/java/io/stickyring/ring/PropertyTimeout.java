package io.stickyring.ring;

import java.io.PrintStream;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * A time limit for every jqwik property of this module (registered for all of them through
 * {@code META-INF/services/net.jqwik.api.lifecycle.LifecycleHook}). jqwik has none of its own, and
 * JUnit's {@code junit.jupiter.execution.timeout.default} covers Jupiter tests only, so a property
 * whose code never returns (a broken AnchorHash removal once looped) used to hang until surefire's
 * fork timeout. At the limit the property's thread is printed and interrupted, and the property fails
 * naming the limit; a thread that ignores the interrupt (a plain loop) gets a grace period, then the
 * test JVM is halted, so the build fails in minutes with the looping stack on stderr, not after the
 * fork timeout. Limit: system property {@code stickyring.property.timeout} (ISO-8601 or {@code 120s};
 * default 120 s, the same as the Jupiter tests').
 */
public final class PropertyTimeout implements AroundPropertyHook {

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "property-timeout");
        t.setDaemon(true);
        return t;
    });

    private final Duration limit;
    private final Duration grace;
    private final Runnable halt;
    private final PrintStream err;

    public PropertyTimeout() {
        this(parse(System.getProperty("stickyring.property.timeout", "120s")), Duration.ofSeconds(10),
                () -> Runtime.getRuntime().halt(3), System.err);
    }

    PropertyTimeout(Duration limit, Duration grace, Runnable halt, PrintStream err) {
        this.limit = limit;
        this.grace = grace;
        this.halt = halt;
        this.err = err;
    }

    static Duration parse(String text) {
        String t = text.trim();
        try {
            Duration d = t.matches("\\d+s") ? Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1))) : Duration.parse(t);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException();
            }
            return d;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("stickyring.property.timeout (" + text + ") must be a positive duration such as 120s or PT2M");
        }
    }

    private static String text(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    @Override
    public boolean appliesTo(Optional<AnnotatedElement> element) {
        return element.map(e -> e instanceof Method).orElse(false);
    }

    @Override
    public PropagationMode propagateTo() {
        return PropagationMode.ALL_DESCENDANTS;
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        Thread runner = Thread.currentThread();
        AtomicBoolean finished = new AtomicBoolean();
        AtomicBoolean expired = new AtomicBoolean();
        String name = context.extendedLabel();
        ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
            if (finished.get()) {
                return;
            }
            expired.set(true);
            err.println("property " + name + " still running after " + text(limit) + " (stickyring.property.timeout); its thread:");
            for (StackTraceElement f : runner.getStackTrace()) {
                err.println("\tat " + f);
            }
            runner.interrupt();
            WATCHDOG.schedule(() -> {
                if (!finished.get()) {
                    err.println("property " + name + " ignored the interrupt for " + text(grace) + ": halting the test JVM");
                    err.flush();
                    halt.run();
                }
            }, grace.toMillis(), TimeUnit.MILLISECONDS);
        }, limit.toMillis(), TimeUnit.MILLISECONDS);
        PropertyExecutionResult result;
        try {
            result = property.execute();
        } finally {
            finished.set(true);
            watchdog.cancel(false);
        }
        if (expired.get()) {
            Thread.interrupted(); // clear a late interrupt so it does not leak into the next property
            return result.mapToFailed("property " + name + " exceeded its time limit of " + text(limit)
                    + " (stickyring.property.timeout)");
        }
        return result;
    }
}
