package io.stickyring.lb.nft;

import java.net.InetAddress;

/**
 * Linux's {@code jhash()} (include/linux/jhash.h, Bob Jenkins' lookup3 {@code hashlittle}) and the
 * reduction nftables' {@code jhash EXPR mod M seed S} applies to it (net/netfilter/nft_hash.c:
 * {@code reciprocal_scale(jhash(data, len, seed), M)}, i.e. {@code (h * M) >> 32}, not {@code h % M}).
 *
 * <p>Byte order: the kernel hashes the packet's address bytes as they are in the header (network
 * order) and reads them in 12-byte blocks as native little-endian words ({@code __get_unaligned_cpu32}
 * on x86-64), with the tail added byte by byte; this port does the same, so it names the slot the
 * kernel picks on little-endian hosts (the only kind this LB supports in nft mode).
 *
 * <p>Worked example: for 10.0.0.1 (bytes 0a 00 00 01), seed 0 and M = 65537 the kernel's slot is
 * {@code slot(InetAddress.getByName("10.0.0.1"), 0, 65537)}; JhashTest pins the lookup3 vectors and
 * NftKernelAgreementTest checks 10,000 addresses against the kernel itself.
 */
public final class Jhash {

    /** lookup3's arbitrary initial value (JHASH_INITVAL). */
    static final int INITVAL = 0xdeadbeef;

    private Jhash() {
    }

    /** {@code jhash(key, key.length, seed)} exactly as the kernel computes it. */
    public static int jhash(byte[] key, int seed) {
        int length = key.length;
        int a = INITVAL + length + seed;
        int b = a;
        int c = a;
        int k = 0;
        while (length > 12) {
            a += le32(key, k);
            b += le32(key, k + 4);
            c += le32(key, k + 8);
            // __jhash_mix
            a -= c; a ^= Integer.rotateLeft(c, 4); c += b;
            b -= a; b ^= Integer.rotateLeft(a, 6); a += c;
            c -= b; c ^= Integer.rotateLeft(b, 8); b += a;
            a -= c; a ^= Integer.rotateLeft(c, 16); c += b;
            b -= a; b ^= Integer.rotateLeft(a, 19); a += c;
            c -= b; c ^= Integer.rotateLeft(b, 4); b += a;
            length -= 12;
            k += 12;
        }
        if (length == 0) {
            return c; // the kernel's "case 0": nothing left, no final mix
        }
        // the tail, as the kernel's fall-through switch adds it
        for (int i = length - 1; i >= 0; i--) {
            int v = (key[k + i] & 0xff) << (8 * (i % 4));
            if (i >= 8) {
                c += v;
            } else if (i >= 4) {
                b += v;
            } else {
                a += v;
            }
        }
        // __jhash_final
        c ^= b; c -= Integer.rotateLeft(b, 14);
        a ^= c; a -= Integer.rotateLeft(c, 11);
        b ^= a; b -= Integer.rotateLeft(a, 25);
        c ^= b; c -= Integer.rotateLeft(b, 16);
        a ^= c; a -= Integer.rotateLeft(c, 4);
        b ^= a; b -= Integer.rotateLeft(a, 14);
        c ^= b; c -= Integer.rotateLeft(b, 24);
        return c;
    }

    /** The kernel's {@code reciprocal_scale(hash, modulus)}: {@code (hash * modulus) >> 32}, unsigned. */
    public static int reduce(int hash, int modulus) {
        return (int) (((hash & 0xffffffffL) * (modulus & 0xffffffffL)) >>> 32);
    }

    /** The slot {@code jhash ip saddr mod M seed S} (or {@code ip6 saddr}) gives {@code client}. */
    public static int slot(InetAddress client, int seed, int modulus) {
        return reduce(jhash(client.getAddress(), seed), modulus);
    }

    private static int le32(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
    }
}
