package io.stickyring.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.hash.Hashing;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class ClientKeysTest {

    private static long guava(byte[] bytes) {
        return Hashing.murmur3_128().hashBytes(bytes).asLong();
    }

    @Property(tries = 200)
    void ipv4AddressKeyIsMurmur3OfTheFourBytes(@ForAll @Size(4) byte[] addr) throws UnknownHostException {
        ClientKeys keys = ClientKeys.address();
        assertThat(keys.key(addr, 1234)).isEqualTo(guava(addr));
        assertThat(keys.key(InetAddress.getByAddress(addr), 99)).isEqualTo(guava(addr));
    }

    @Property(tries = 200)
    void ipv6AddressKeyIsMurmur3OfTheSixteenBytes(@ForAll @Size(16) byte[] addr) {
        // Skip IPv4-mapped addresses, which are keyed as IPv4 (tested below).
        addr[0] |= 0x20;
        assertThat(ClientKeys.address().key(addr, 0)).isEqualTo(guava(addr));
    }

    @Property(tries = 200)
    void addressPortAppendsBigEndianPort(@ForAll @Size(4) byte[] v4, @ForAll @Size(16) byte[] v6,
            @ForAll @IntRange(max = 65535) int port) {
        v6[0] |= 0x20;
        ClientKeys keys = ClientKeys.addressPort();
        byte[] p = {(byte) (port >>> 8), (byte) port};
        assertThat(keys.key(v4, port)).isEqualTo(guava(concat(v4, p)));
        assertThat(keys.key(v6, port)).isEqualTo(guava(concat(v6, p)));
    }

    @Property(tries = 200)
    void prefixModeKeysTheMaskedAddress(@ForAll @Size(4) byte[] v4, @ForAll @Size(16) byte[] v6,
            @ForAll @IntRange(max = 32) int bits4, @ForAll @IntRange(max = 128) int bits6) {
        v6[0] |= 0x20;
        ClientKeys keys = ClientKeys.prefix(bits4, bits6);
        assertThat(keys.key(v4, 7)).isEqualTo(guava(mask(v4, bits4)));
        assertThat(keys.key(v6, 7)).isEqualTo(guava(mask(v6, bits6)));
    }

    @Test
    void prefixModeGroupsASubnet() throws UnknownHostException {
        ClientKeys keys = ClientKeys.prefix(24, 64);
        long a = keys.key(InetAddress.getByName("10.1.2.3"));
        assertThat(keys.key(InetAddress.getByName("10.1.2.200"))).isEqualTo(a);
        assertThat(keys.key(InetAddress.getByName("10.1.3.3"))).isNotEqualTo(a);
        long b = keys.key(InetAddress.getByName("2001:db8:0:1::5"));
        assertThat(keys.key(InetAddress.getByName("2001:db8:0:1:ffff::9"))).isEqualTo(b);
        assertThat(keys.key(InetAddress.getByName("2001:db8:0:2::5"))).isNotEqualTo(b);
    }

    @Test
    void ipv4MappedIpv6KeysLikeIpv4() throws UnknownHostException {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 10;
        mapped[15] = 7;
        for (ClientKeys keys : new ClientKeys[] {ClientKeys.address(), ClientKeys.addressPort(), ClientKeys.prefix(24, 64)}) {
            assertThat(keys.key(mapped, 80)).isEqualTo(keys.key(InetAddress.getByName("10.0.0.7"), 80));
        }
    }

    @Test
    void socketAddressOverloadUsesPortOnlyInPortMode() throws UnknownHostException {
        InetAddress a = InetAddress.getByName("192.0.2.1");
        assertThat(ClientKeys.address().key(new InetSocketAddress(a, 1)))
                .isEqualTo(ClientKeys.address().key(new InetSocketAddress(a, 2)));
        assertThat(ClientKeys.addressPort().key(new InetSocketAddress(a, 1)))
                .isNotEqualTo(ClientKeys.addressPort().key(new InetSocketAddress(a, 2)));
    }

    @Test
    void nearbyAddressesSpreadOverTheKeySpace() {
        // 256 consecutive addresses should land in many of 16 equal key-space slices.
        Set<Long> slices = new HashSet<>();
        for (int i = 0; i < 256; i++) {
            slices.add(ClientKeys.address().ipv4(0x0a000000 | i, 0) >>> 60);
        }
        assertThat(slices).hasSize(16);
    }

    @Test
    void rejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> ClientKeys.prefix(33, 64)).hasMessageContaining("(33)");
        assertThatThrownBy(() -> ClientKeys.prefix(24, -1)).hasMessageContaining("(-1)");
        assertThatThrownBy(() -> ClientKeys.address().key(new byte[5], 0)).hasMessageContaining("(5 bytes)");
        assertThatThrownBy(() -> ClientKeys.addressPort().ipv4(1, 70000)).hasMessageContaining("(70000)");
        assertThatThrownBy(() -> KeyMode.fromName("subnet")).hasMessageContaining("'subnet'");
        assertThat(KeyMode.fromName("Address-Port")).isEqualTo(KeyMode.ADDRESS_PORT);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static byte[] mask(byte[] addr, int bits) {
        byte[] r = addr.clone();
        for (int i = 0; i < r.length; i++) {
            int keep = Math.max(0, Math.min(8, bits - 8 * i));
            r[i] &= (byte) (keep == 0 ? 0 : 0xff << (8 - keep));
        }
        return r;
    }
}
