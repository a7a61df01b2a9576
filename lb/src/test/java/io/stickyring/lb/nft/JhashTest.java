package io.stickyring.lb.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Jhash against Bob Jenkins' own lookup3.c driver vectors (driver5: hashlittle) and the kernel's
 * reduction; agreement with the running kernel is NftKernelAgreementTest.
 */
class JhashTest {

    @Test
    void lookup3DriverVectors() {
        assertEquals(0xdeadbeef, Jhash.jhash(new byte[0], 0));
        assertEquals(0xbd5b7dde, Jhash.jhash(new byte[0], 0xdeadbeef));
        byte[] four = "Four score and seven years ago".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0x17770551, Jhash.jhash(four, 0));
        assertEquals(0xcd628161, Jhash.jhash(four, 1));
    }

    @Test
    void exactBlockOfTwelveIsFinalMixedNotLooped() {
        // length 12 takes the tail path (while length > 12), which gcc-compiled kernel jhash gives as:
        assertEquals(Jhash.jhash(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 7),
                tailOnly(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 7));
    }

    @Test
    void reductionIsMultiplyShiftNotModulo() {
        assertEquals(0, Jhash.reduce(0, 65537));
        assertEquals(65536, Jhash.reduce(0xffffffff, 65537));
        assertEquals(32768, Jhash.reduce(0x80000000, 65537));
        assertEquals(2, Jhash.reduce(0xc0000000, 3));
        // h % M would give 0x7 here
        assertEquals(0, Jhash.reduce(0x7, 65537));
    }

    @Test
    void slotHashesTheAddressBytesInNetworkOrder() throws Exception {
        InetAddress a = InetAddress.getByName("10.0.0.1");
        assertEquals(Jhash.reduce(Jhash.jhash(new byte[] {10, 0, 0, 1}, 42), 1000), Jhash.slot(a, 42, 1000));
        InetAddress v6 = InetAddress.getByName("fd00::1");
        byte[] b = new byte[16];
        b[0] = (byte) 0xfd;
        b[15] = 1;
        assertEquals(Jhash.reduce(Jhash.jhash(b, 42), 1000), Jhash.slot(v6, 42, 1000));
    }

    /** Straight transcription of the kernel's 12-byte tail switch, independent of Jhash's loop. */
    private static int tailOnly(byte[] k, int seed) {
        int a = 0xdeadbeef + 12 + seed;
        int b = a;
        int c = a;
        c += (k[11] & 0xff) << 24; c += (k[10] & 0xff) << 16; c += (k[9] & 0xff) << 8; c += k[8] & 0xff;
        b += (k[7] & 0xff) << 24; b += (k[6] & 0xff) << 16; b += (k[5] & 0xff) << 8; b += k[4] & 0xff;
        a += (k[3] & 0xff) << 24; a += (k[2] & 0xff) << 16; a += (k[1] & 0xff) << 8; a += k[0] & 0xff;
        c ^= b; c -= Integer.rotateLeft(b, 14);
        a ^= c; a -= Integer.rotateLeft(c, 11);
        b ^= a; b -= Integer.rotateLeft(a, 25);
        c ^= b; c -= Integer.rotateLeft(b, 16);
        a ^= c; a -= Integer.rotateLeft(c, 4);
        b ^= a; b -= Integer.rotateLeft(a, 14);
        c ^= b; c -= Integer.rotateLeft(b, 24);
        return c;
    }
}
