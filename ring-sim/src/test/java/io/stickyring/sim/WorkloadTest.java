package io.stickyring.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.net.InetAddresses;
import io.stickyring.ring.ClientKeys;
import io.stickyring.sim.algo.ProductionCatalog;
import io.stickyring.sim.workload.AddressFile;
import io.stickyring.sim.workload.ClientKeyFunction;
import io.stickyring.sim.workload.KeySet;
import io.stickyring.sim.workload.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkloadTest {

    private static final ClientKeyFunction KEYS = new ProductionCatalog().clientKeys();

    @Test
    void sameSeedSameKeysOtherSeedOtherKeys() {
        for (String spec : List.of("ipv4:n=1000", "ipv6:n=1000", "zipf:users=5000:nats=300", "prefix24:n=3000",
                "prefix64:n=3000:prefixes=50")) {
            KeySet a = Workload.parse(spec).generate(KEYS, 42);
            KeySet b = Workload.parse(spec).generate(KEYS, 42);
            KeySet c = Workload.parse(spec).generate(KEYS, 43);
            assertThat(a.keys()).as(spec).containsExactly(b.keys());
            assertThat(a.counts()).as(spec).containsExactly(b.counts());
            assertThat(Arrays.equals(a.keys(), c.keys())).as(spec).isFalse();
        }
    }

    @Test
    void keysComeFromTheProductionClientKeyFunction() {
        // The uniform workload keys an address exactly as the LB does: check one by replaying the draw.
        KeySet ks = Workload.parse("ipv4:n=1").generate(a -> {
            long expected = ClientKeys.address().key(a, 0);
            assertThat(KEYS.key(a)).isEqualTo(expected);
            return expected;
        }, 3);
        assertThat(ks.size()).isEqualTo(1);
    }

    @Test
    void zipfPutsUsersOnFewNatAddresses() {
        KeySet ks = Workload.parse("zipf:users=100000:nats=1000:s=1.2").generate(KEYS, 1);
        assertThat(ks.totalConnections()).isEqualTo(100_000);
        assertThat(ks.size()).isLessThanOrEqualTo(1000);
        int max = Arrays.stream(ks.counts()).max().orElseThrow();
        // Rank 1 of a Zipf(1.2) over 1000 ranks carries about 1/H(1000,1.2) ~ 22% of users.
        assertThat(max).isBetween(19_000, 25_000);
    }

    @Test
    void prefixWorkloadGroupsClientsAndMatchesTheLbsPrefixMode() {
        KeySet ks = Workload.parse("prefix24:n=10000:prefixes=100").generate(KEYS, 5);
        assertThat(ks.totalConnections()).isEqualTo(10_000);
        assertThat(ks.size()).isLessThanOrEqualTo(100).isGreaterThan(90);
        // Hashing a masked address in address mode == the LB's prefix mode on any address in that /24.
        byte[] masked = InetAddresses.forString("203.0.113.0").getAddress();
        byte[] full = InetAddresses.forString("203.0.113.77").getAddress();
        assertThat(KEYS.key(masked)).isEqualTo(ClientKeys.prefix(24, 64).key(full, 0));
        byte[] masked6 = InetAddresses.forString("2001:db8:1:2::").getAddress();
        byte[] full6 = InetAddresses.forString("2001:db8:1:2:aaaa:bbbb:cccc:dddd").getAddress();
        assertThat(KEYS.key(masked6)).isEqualTo(ClientKeys.prefix(24, 64).key(full6, 0));
    }

    @Test
    void fileWorkloadReadsCsvWithCountsMembersAndPorts(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("conns.csv");
        Files.writeString(f, "# export\n10.0.0.1\n10.0.0.2,5\n10.0.0.3:4444,m001\n[2001:db8::1]:80,m002,3\n\n");
        KeySet ks = Workload.parse("file:" + f).generate(KEYS, 0);
        assertThat(ks.size()).isEqualTo(4);
        assertThat(ks.totalConnections()).isEqualTo(1 + 5 + 1 + 3);
        assertThat(ks.key(2)).isEqualTo(ClientKeys.address().key(InetAddresses.forString("10.0.0.3"), 0));
        List<AddressFile.Entry> e = AddressFile.read(f);
        assertThat(e.get(2).member()).isEqualTo("m001");
        assertThat(e.get(3).count()).isEqualTo(3);
    }

    @Test
    void fileWorkloadReadsHeaderAndJson() {
        List<AddressFile.Entry> h = AddressFile.parse("member,ip\nm7,1.2.3.4\n", "h");
        assertThat(h.get(0).member()).isEqualTo("m7");
        assertThat(h.get(0).ip()).isEqualTo("1.2.3.4");
        List<AddressFile.Entry> j = AddressFile.parse("{\"connections\":[{\"client\":\"1.2.3.4:5\",\"member\":\"a\"},"
                + "{\"ip\":\"::1\",\"count\":2}]}", "j");
        assertThat(j).hasSize(2);
        assertThat(j.get(0).member()).isEqualTo("a");
        assertThat(j.get(1).count()).isEqualTo(2);
    }

    @Test
    void badInputNamesTheLineAndValue() {
        assertThatThrownBy(() -> AddressFile.parse("1.2.3.4\nnot-an-ip\n", "f.csv"))
                .hasMessageContaining("f.csv:2").hasMessageContaining("not-an-ip");
        assertThatThrownBy(() -> AddressFile.parse("1.2.3.4,0\n", "f.csv")).hasMessageContaining("count (0)");
        assertThatThrownBy(() -> AddressFile.parse("{\"version\":1,\"members\":[]}", "m.json"))
                .hasMessageContaining("/members");
        assertThatThrownBy(() -> AddressFile.parse("# nothing\n", "e.csv")).hasMessageContaining("no client addresses");
        assertThatThrownBy(() -> Workload.parse("ipv4:n=0")).hasMessageContaining("n (0) must be >= 1");
        assertThatThrownBy(() -> Workload.parse("zipf:s=-1")).hasMessageContaining("s (-1.0)");
        assertThatThrownBy(() -> Workload.parse("ipv5")).hasMessageContaining("unknown workload 'ipv5'");
        assertThatThrownBy(() -> Workload.parse("ipv4:count=3")).hasMessageContaining("unknown option 'count'");
    }
}
