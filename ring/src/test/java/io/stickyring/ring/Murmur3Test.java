package io.stickyring.ring;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.hash.Hashing;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

class Murmur3Test {

    /** The allocation-free copy must agree with Guava's murmur3_128 on every length it accepts. */
    @Property(tries = 500)
    void hash64MatchesGuava(@ForAll @Size(max = 32) byte[] input) {
        byte[] padded = new byte[32];
        System.arraycopy(input, 0, padded, 0, input.length);
        ByteBuffer bb = ByteBuffer.wrap(padded).order(ByteOrder.LITTLE_ENDIAN);
        long expected = Hashing.murmur3_128().hashBytes(input).asLong();
        assertThat(Murmur3.hash64(bb.getLong(0), bb.getLong(8), bb.getLong(16), bb.getLong(24), input.length))
                .isEqualTo(expected);
    }

    @Property(tries = 100)
    void id128MatchesGuavaFirstHalf(@ForAll String id) {
        assertThat(Murmur3.id128(id)[0])
                .isEqualTo(Hashing.murmur3_128().hashString(id, java.nio.charset.StandardCharsets.UTF_8).asLong());
    }

    /** The ring's point hash: fast path (ids up to 28 UTF-8 bytes) and Guava path must agree. */
    @Property(tries = 300)
    void idHasherMatchesGuava(@ForAll @Size(max = 40) String id, @ForAll int replica) {
        long expected = Hashing.murmur3_128().newHasher()
                .putString(id, java.nio.charset.StandardCharsets.UTF_8).putInt(replica).hash().asLong();
        assertThat(new Murmur3.IdHasher(id).hash(replica)).isEqualTo(expected);
        assertThat(Murmur3.idAndInt(id, replica)).isEqualTo(expected);
    }
}
