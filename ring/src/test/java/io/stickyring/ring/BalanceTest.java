package io.stickyring.ring;

import static org.assertj.core.api.Assertions.assertThat;

import io.stickyring.ring.bench.BalanceReport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Balance at defaults: 1M random IPv4 client keys (whole-address mode, seed 42), N equal members.
 * Targets: ring peak/avg <= 1.10, Maglev <= 1.02. For Maglev the table itself is balanced to
 * 1 + N/M (every member owns floor or ceil of M/N slots), and the 1M-key figure adds sampling
 * noise of about sqrt(N/1M) per member: at N=100 that noise alone puts the expected peak of a
 * perfectly uniform assignment near 1.025 (docs/algorithms.md shows the ideal row), so there the
 * test checks the exact table balance and a sampling-noise bound instead of 1.02.
 */
class BalanceTest {

    private static final int KEYS = 1_000_000;

    @ParameterizedTest
    @ValueSource(ints = {5, 10, 50, 100})
    void ringPeakToAverageAtMost110(int n) {
        ConsistentHash ring = HashAlgorithm.RING.build(BalanceReport.members("node-", n));
        assertThat(BalanceReport.balance(ring, KEYS, 42)[0]).isLessThanOrEqualTo(1.10);
        assertThat(BalanceReport.exactPeak(ring)).isLessThanOrEqualTo(1.10);
    }

    @ParameterizedTest
    @ValueSource(ints = {5, 10, 50, 100})
    void maglevPeakToAverage(int n) {
        MaglevHash maglev = (MaglevHash) HashAlgorithm.MAGLEV.build(BalanceReport.members("node-", n));
        double exact = BalanceReport.exactPeak(maglev);
        assertThat(exact).isLessThanOrEqualTo(1.0 + (double) n / maglev.tableSize() + 1e-9);
        double sampled = BalanceReport.balance(maglev, KEYS, 42)[0];
        if (n <= 50) {
            assertThat(sampled).isLessThanOrEqualTo(1.02);
        } else {
            // 4 standard deviations of a member's sampled share, relative to the mean.
            assertThat(sampled).isLessThanOrEqualTo(exact + 4 * Math.sqrt((n - 1.0) / KEYS));
        }
    }
}
