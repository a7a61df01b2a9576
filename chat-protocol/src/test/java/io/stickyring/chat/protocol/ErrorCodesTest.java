package io.stickyring.chat.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ErrorCodesTest {
    @Test
    void onlyRefusalsThatStoredNothingAndMayPassLaterAreRetriable() {
        assertThat(ErrorCodes.retriable(ErrorCodes.STORE_UNAVAILABLE)).isTrue();
        assertThat(ErrorCodes.retriable(ErrorCodes.RATE_LIMITED)).isTrue();
        assertThat(ErrorCodes.retriable(ErrorCodes.DRAINING)).isTrue();
        // Resending the same frame cannot fix these.
        for (String c : new String[] {ErrorCodes.BAD_JSON, ErrorCodes.BAD_REQUEST, ErrorCodes.NOT_MEMBER,
                ErrorCodes.UNKNOWN_CONVERSATION, ErrorCodes.TOO_LARGE, ErrorCodes.NOT_AUTHENTICATED, null}) {
            assertThat(ErrorCodes.retriable(c)).as(c).isFalse();
        }
    }
}
