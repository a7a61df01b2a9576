package io.stickyring.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.lifecycle.FalsifiedSample;
import net.jqwik.api.lifecycle.LifecycleHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import net.jqwik.api.lifecycle.ShrunkFalsifiedSample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The jqwik time limit: a property that never returns fails (or halts the JVM) instead of hanging the build. */
@Timeout(60)
class PropertyTimeoutTest {

    /** The smallest result jqwik's hooks can map. */
    record Result(Status status, Optional<Throwable> throwable) implements PropertyExecutionResult {
        @Override public Optional<String> seed() { return Optional.empty(); }
        @Override public Optional<List<Object>> falsifiedParameters() { return Optional.empty(); }
        @Override public int countChecks() { return 1; }
        @Override public int countTries() { return 1; }
        @Override public Optional<FalsifiedSample> originalSample() { return Optional.empty(); }
        @Override public Optional<ShrunkFalsifiedSample> shrunkSample() { return Optional.empty(); }
        @Override public PropertyExecutionResult mapTo(Status newStatus, Throwable t) { return new Result(newStatus, Optional.ofNullable(t)); }
    }

    private static final Result OK = new Result(PropertyExecutionResult.Status.SUCCESSFUL, Optional.empty());

    private static PropertyLifecycleContext context(String label) {
        return (PropertyLifecycleContext) Proxy.newProxyInstance(PropertyTimeoutTest.class.getClassLoader(),
                new Class<?>[] {PropertyLifecycleContext.class}, (p, m, a) -> {
                    if (m.getName().equals("extendedLabel")) {
                        return label;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(out, true, StandardCharsets.UTF_8);

    @Test
    void aPropertyThatWaitsForeverFailsAtTheLimitNamingIt() {
        CountDownLatch halted = new CountDownLatch(1);
        PropertyTimeout hook = new PropertyTimeout(Duration.ofMillis(200), Duration.ofSeconds(30), halted::countDown, err);
        PropertyExecutionResult r = hook.aroundProperty(context("Anchor.removalTerminates"), () -> {
            try {
                new CountDownLatch(1).await(); // never counted down: only the interrupt ends it
                return OK;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return OK.mapToFailed(e);
            }
        });
        assertThat(r.status()).isEqualTo(PropertyExecutionResult.Status.FAILED);
        assertThat(r.throwable()).get().extracting(Throwable::getMessage).asString()
                .contains("Anchor.removalTerminates exceeded its time limit of 200 ms (stickyring.property.timeout)");
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("still running after").contains("CountDownLatch.await");
        assertThat(Thread.interrupted()).as("no interrupt leaks into the next property").isFalse();
        assertThat(halted.getCount()).isEqualTo(1);
    }

    @Test
    void aPropertyThatIgnoresTheInterruptHaltsTheJvmAfterTheGrace() throws Exception {
        CountDownLatch halted = new CountDownLatch(1);
        PropertyTimeout hook = new PropertyTimeout(Duration.ofMillis(100), Duration.ofMillis(100), halted::countDown, err);
        PropertyExecutionResult r = hook.aroundProperty(context("spins"), () -> {
            while (halted.getCount() > 0) {
                Thread.onSpinWait(); // a plain loop: never looks at the interrupt
            }
            return OK;
        });
        assertThat(halted.await(0, TimeUnit.SECONDS)).isTrue();
        assertThat(r.status()).isEqualTo(PropertyExecutionResult.Status.FAILED);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("spins ignored the interrupt").contains("halting the test JVM");
    }

    @Test
    void aPropertyWithinItsLimitIsLeftAlone() throws Exception {
        CountDownLatch halted = new CountDownLatch(1);
        PropertyTimeout hook = new PropertyTimeout(Duration.ofMillis(100), Duration.ofMillis(100), halted::countDown, err);
        assertThat(hook.aroundProperty(context("fast"), () -> OK)).isSameAs(OK);
        assertThat(halted.await(400, TimeUnit.MILLISECONDS)).as("no watchdog fires after the property returned").isFalse();
        assertThat(out.size()).isZero();
    }

    @Test
    void theLimitIsReadAsADuration() {
        assertThat(PropertyTimeout.parse("120s")).isEqualTo(Duration.ofSeconds(120));
        assertThat(PropertyTimeout.parse("PT2M")).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> PropertyTimeout.parse("soon")).hasMessage(
                "stickyring.property.timeout (soon) must be a positive duration such as 120s or PT2M");
        assertThatThrownBy(() -> PropertyTimeout.parse("0s")).hasMessageContaining("(0s)");
    }

    @Test
    void everyPropertyOfThisModuleGetsTheLimit() {
        assertThat(ServiceLoader.load(LifecycleHook.class).stream().map(p -> p.type().getName()))
                .contains(PropertyTimeout.class.getName());
    }
}
