package io.stickyring.chat.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class RetryHintTest {
    @Property
    void whatTheNodeWritesTheClientReads(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long millis) {
        assertThat(RetryHint.parse("node restarting; " + RetryHint.format(millis))).hasValue(millis);
    }

    @Test
    void theWireFormatIsFixed() {
        // Clients in the field parse exactly this text (docs/protocol.md "Close codes").
        assertThat(RetryHint.format(1830)).isEqualTo("retry-after-ms=1830");
        assertThat(RetryHint.parse("retry-after-ms=0")).hasValue(0);
        assertThat(RetryHint.parse("draining, retry-after-ms=250 please")).hasValue(250);
    }

    @Test
    void noHintIsEmptyNeverAnError() {
        assertThat(RetryHint.parse(null)).isEmpty();
        assertThat(RetryHint.parse("")).isEmpty();
        assertThat(RetryHint.parse("node restarting")).isEqualTo(OptionalLong.empty());
        assertThat(RetryHint.parse("retry-after-ms=")).isEmpty();
        assertThat(RetryHint.parse("retry-after-ms=-5")).isEmpty();
        assertThat(RetryHint.parse("retry-after-ms=abc")).isEmpty();
        // A number too long for a long is no hint (the client falls back to its own backoff).
        assertThat(RetryHint.parse("retry-after-ms=99999999999999999999999")).isEmpty();
    }

    @Test
    void aNegativeHintIsRefusedNamingTheValue() {
        assertThatThrownBy(() -> RetryHint.format(-1)).hasMessageContaining("(-1 ms)");
    }
}
