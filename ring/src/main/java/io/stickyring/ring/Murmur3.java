package io.stickyring.ring;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * MurmurHash3 x64 128-bit (seed 0), the function Guava calls {@code Hashing.murmur3_128()}, in two
 * forms: Guava's own for build-time hashing of member ids, and an allocation-free copy of its
 * arithmetic for inputs of at most 32 bytes, used per connection by {@link ClientKeys}.
 *
 * <p>The copy follows Guava's {@code Murmur3_128HashFunction} (itself Austin Appleby's
 * {@code MurmurHash3_x64_128}) step for step; {@code Murmur3Test} checks it against Guava on
 * random inputs of every length 0..32, so the two can never silently diverge. Only the first
 * 64 bits ({@code HashCode.asLong()}) are returned.
 */
final class Murmur3 {

    static final HashFunction GUAVA = Hashing.murmur3_128();

    private static final long C1 = 0x87c37b91114253d5L;
    private static final long C2 = 0x4cf5ad432745937fL;

    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private Murmur3() {
    }

    /**
     * Hashes "UTF-8 id followed by a little-endian int" for many ints: the ring's point hash.
     * Ids up to 28 UTF-8 bytes take the allocation-free path, longer ones go through Guava;
     * both give {@link #idAndInt}.
     */
    static final class IdHasher {
        private final String id;
        private final int len;
        private final byte[] buf;

        IdHasher(String id) {
            this.id = id;
            byte[] utf8 = id.getBytes(StandardCharsets.UTF_8);
            this.len = utf8.length;
            this.buf = len <= 28 ? new byte[32] : null;
            if (buf != null) {
                System.arraycopy(utf8, 0, buf, 0, len);
            }
        }

        long hash(int i) {
            if (buf == null) {
                return idAndInt(id, i);
            }
            buf[len] = (byte) i;
            buf[len + 1] = (byte) (i >>> 8);
            buf[len + 2] = (byte) (i >>> 16);
            buf[len + 3] = (byte) (i >>> 24);
            return hash64((long) LONG_LE.get(buf, 0), (long) LONG_LE.get(buf, 8),
                    (long) LONG_LE.get(buf, 16), (long) LONG_LE.get(buf, 24), len + 4);
        }
    }

    /** First 64 bits of murmur3_128 of the UTF-8 id followed by the 4 little-endian bytes of {@code i}. */
    static long idAndInt(String id, int i) {
        return GUAVA.newHasher().putString(id, StandardCharsets.UTF_8).putInt(i).hash().asLong();
    }

    /** Both halves of murmur3_128 of the UTF-8 id: {@code [asLong(), next 64 bits]}. */
    static long[] id128(String id) {
        byte[] b = GUAVA.hashString(id, StandardCharsets.UTF_8).asBytes();
        long lo = 0;
        long hi = 0;
        for (int i = 7; i >= 0; i--) {
            lo = (lo << 8) | (b[i] & 0xff);
            hi = (hi << 8) | (b[i + 8] & 0xff);
        }
        return new long[] {lo, hi};
    }

    /**
     * First 64 bits of murmur3_128 of a byte string of {@code len <= 32} bytes given as four
     * little-endian words ({@code w0} holds bytes 0..7, {@code w1} bytes 8..15 and so on; bytes
     * past {@code len} must be zero).
     */
    static long hash64(long w0, long w1, long w2, long w3, int len) {
        if (len < 0 || len > 32) {
            throw new IllegalArgumentException("len (" + len + ") must be in 0..32");
        }
        long h1 = 0;
        long h2 = 0;
        int blocks = len >>> 4;
        if (blocks >= 1) {
            h1 ^= mixK1(w0);
            h1 = Long.rotateLeft(h1, 27);
            h1 += h2;
            h1 = h1 * 5 + 0x52dce729;
            h2 ^= mixK2(w1);
            h2 = Long.rotateLeft(h2, 31);
            h2 += h1;
            h2 = h2 * 5 + 0x38495ab5;
        }
        if (blocks == 2) {
            h1 ^= mixK1(w2);
            h1 = Long.rotateLeft(h1, 27);
            h1 += h2;
            h1 = h1 * 5 + 0x52dce729;
            h2 ^= mixK2(w3);
            h2 = Long.rotateLeft(h2, 31);
            h2 += h1;
            h2 = h2 * 5 + 0x38495ab5;
        }
        if ((len & 15) != 0) {
            // Tail: the remaining words, already zero-padded by the caller's contract.
            long k1 = blocks == 0 ? w0 : w2;
            long k2 = blocks == 0 ? w1 : w3;
            h1 ^= mixK1(k1);
            h2 ^= mixK2(k2);
        }
        h1 ^= len;
        h2 ^= len;
        h1 += h2;
        h2 += h1;
        h1 = fmix64(h1);
        h2 = fmix64(h2);
        h1 += h2;
        return h1;
    }

    private static long mixK1(long k1) {
        k1 *= C1;
        k1 = Long.rotateLeft(k1, 31);
        return k1 * C2;
    }

    private static long mixK2(long k2) {
        k2 *= C2;
        k2 = Long.rotateLeft(k2, 33);
        return k2 * C1;
    }

    /** Murmur3's 64-bit finalizer: a bijection that spreads every input bit over the output. */
    static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
