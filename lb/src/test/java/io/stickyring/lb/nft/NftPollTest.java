package io.stickyring.lb.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import org.junit.jupiter.api.Test;

/** The control plane's reading of the kernel: listing parse, cost bound, counter modes (no kernel needed). */
class NftPollTest {

    @Test
    void replyKeyIsTheMemberOfAConntrackLine() {
        var canonical = new HashMap<String, String>();
        assertThat(NftDataPlane.replyKey("tcp      6 431999 ESTABLISHED src=10.214.7.10 dst=10.216.7.1 sport=41234 dport=80"
                + " src=10.217.7.12 dst=10.214.7.10 sport=7000 dport=41234 [ASSURED] mark=0 use=1", canonical))
                .isEqualTo("10.217.7.12|7000");
        // with accounting fields; IPv6 as conntrack prints it, keyed as NftScript.literal writes it
        assertThat(NftDataPlane.replyKey("tcp      6 119 TIME_WAIT src=fd00:214:7::100 dst=fd00:216:7::1 sport=1 dport=80"
                + " packets=5 bytes=300 src=fd00:217:7::11 dst=fd00:214:7::100 sport=7001 dport=1 packets=4 bytes=260"
                + " [ASSURED] mark=0 use=1", canonical)).isEqualTo("fd00:217:7:0:0:0:0:11|7001");
        assertThat(NftDataPlane.replyKey("conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.", canonical)).isNull();
    }

    @Test
    void aSlowReadDelaysTheNextSoReadsTakeAtMostOneTwentiethOfTheTime() {
        assertThat(NftDataPlane.nextPollDelay(Duration.ofMillis(10))).isEqualTo(NftDataPlane.POLL_INTERVAL);
        // 100,000 flows: a listing of about 1.5 s waits 30 s before the next
        assertThat(NftDataPlane.nextPollDelay(Duration.ofMillis(1500))).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void counterModesParseAndABadOneNamesItself() {
        assertThat(NftConfig.Counters.parse("flows")).isEqualTo(NftConfig.Counters.FLOWS);
        assertThat(NftConfig.Counters.parse("true")).isEqualTo(NftConfig.Counters.FLOWS);
        assertThat(NftConfig.Counters.parse("PACKETS")).isEqualTo(NftConfig.Counters.PACKETS);
        assertThat(NftConfig.Counters.parse("false")).isEqualTo(NftConfig.Counters.OFF);
        assertThat(NftConfig.Counters.parse("off")).isEqualTo(NftConfig.Counters.OFF);
        assertThatThrownBy(() -> NftConfig.Counters.parse("bytes")).hasMessage("nft-counters (bytes) must be flows, packets or off");
    }
}
