package io.stickyring.lb;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The training run behind the launcher's CDS archive works on its own: it starts a balancer on
 * loopback and every one of its connections (request and FIN at once, the answer after the FIN)
 * comes back through it. The launcher keeps no archive when it fails.
 */
class LbTrainingTest {

    @Test
    @Timeout(60)
    void everyTrainingConnectionIsProxied() throws Exception {
        assertThat(LbTraining.run()).isTrue();
    }
}
