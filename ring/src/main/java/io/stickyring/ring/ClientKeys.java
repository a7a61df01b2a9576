package io.stickyring.ring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Derives the 64-bit hashing key of a client from its address: the first 64 bits of
 * murmur3_128 over the (masked) address bytes in network order, followed in
 * {@link KeyMode#ADDRESS_PORT} mode by the port as two big-endian bytes. Hashing spreads nearby
 * addresses (10.0.0.1, 10.0.0.2) over the whole key space, and the key is a pure function of the
 * address, so every LB instance computes the same one.
 *
 * <p>IPv4 keys hash 4 bytes (6 with the port), IPv6 keys 16 (18); an IPv4-mapped IPv6 address
 * ({@code ::ffff:a.b.c.d}) is treated as the IPv4 address, so dual-stack sockets agree with IPv4
 * ones. In {@link KeyMode#PREFIX} mode the bits past the prefix length are zeroed first.
 *
 * <p>Allocation-free for {@code byte[]} and {@code int} input; the murmur3 arithmetic is a
 * verified copy of Guava's (see {@code Murmur3}). For an {@link InetAddress}, {@code getAddress()}
 * copies the address bytes (4 or 16 bytes) once.
 *
 * @param mode what to hash
 * @param ipv4PrefixBits prefix length for IPv4 in PREFIX mode, 0..32 (default 24)
 * @param ipv6PrefixBits prefix length for IPv6 in PREFIX mode, 0..128 (default 64)
 */
public record ClientKeys(KeyMode mode, int ipv4PrefixBits, int ipv6PrefixBits) {

    public static final int DEFAULT_IPV4_PREFIX = 24;
    public static final int DEFAULT_IPV6_PREFIX = 64;

    private static final VarHandle LONG_BE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT_BE =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    public ClientKeys {
        Objects.requireNonNull(mode, "mode");
        if (ipv4PrefixBits < 0 || ipv4PrefixBits > 32) {
            throw new IllegalArgumentException("IPv4 prefix length (" + ipv4PrefixBits + ") must be in 0..32");
        }
        if (ipv6PrefixBits < 0 || ipv6PrefixBits > 128) {
            throw new IllegalArgumentException("IPv6 prefix length (" + ipv6PrefixBits + ") must be in 0..128");
        }
    }

    /** Whole-address keys: the default. */
    public static ClientKeys address() {
        return new ClientKeys(KeyMode.ADDRESS, DEFAULT_IPV4_PREFIX, DEFAULT_IPV6_PREFIX);
    }

    /** Prefix keys with the given prefix lengths. */
    public static ClientKeys prefix(int ipv4Bits, int ipv6Bits) {
        return new ClientKeys(KeyMode.PREFIX, ipv4Bits, ipv6Bits);
    }

    /** Address-and-port keys. */
    public static ClientKeys addressPort() {
        return new ClientKeys(KeyMode.ADDRESS_PORT, DEFAULT_IPV4_PREFIX, DEFAULT_IPV6_PREFIX);
    }

    /** Key mode by name with default prefix lengths. */
    public static ClientKeys of(KeyMode mode) {
        return new ClientKeys(mode, DEFAULT_IPV4_PREFIX, DEFAULT_IPV6_PREFIX);
    }

    /** Key of a socket address (its port is used only in ADDRESS_PORT mode). */
    public long key(InetSocketAddress address) {
        InetAddress a = address.getAddress();
        if (a == null) {
            throw new IllegalArgumentException("unresolved client address " + address);
        }
        return key(a, address.getPort());
    }

    /** Key of an address; {@code port} is used only in ADDRESS_PORT mode. */
    public long key(InetAddress address, int port) {
        return key(address.getAddress(), port);
    }

    /** Key of an address without a port (ADDRESS_PORT mode then hashes port 0). */
    public long key(InetAddress address) {
        return key(address.getAddress(), 0);
    }

    /**
     * Key of raw address bytes (4 for IPv4, 16 for IPv6, network order); {@code port} is used only
     * in ADDRESS_PORT mode.
     */
    public long key(byte[] address, int port) {
        if (address.length == 4) {
            return ipv4((int) INT_BE.get(address, 0), port);
        }
        if (address.length != 16) {
            throw new IllegalArgumentException("address length (" + address.length + " bytes) must be 4 or 16");
        }
        long hi = (long) LONG_BE.get(address, 0);
        long lo = (long) LONG_BE.get(address, 8);
        if (hi == 0 && (lo >>> 32) == 0xffffL) {
            return ipv4((int) lo, port);
        }
        return ipv6(hi, lo, port);
    }

    /** Key of an IPv4 address given as a big-endian int (a.b.c.d = a<<24 | b<<16 | c<<8 | d). */
    public long ipv4(int address, int port) {
        int a = address;
        if (mode == KeyMode.PREFIX) {
            a &= ipv4PrefixBits == 0 ? 0 : -1 << (32 - ipv4PrefixBits);
        }
        // Murmur3 reads bytes little-endian: network-order bytes a,b,c,d become the word d:c:b:a.
        long w0 = Integer.reverseBytes(a) & 0xffffffffL;
        if (mode == KeyMode.ADDRESS_PORT) {
            checkPort(port);
            w0 |= (long) ((port >>> 8) & 0xff) << 32 | (long) (port & 0xff) << 40;
            return Murmur3.hash64(w0, 0, 0, 0, 6);
        }
        return Murmur3.hash64(w0, 0, 0, 0, 4);
    }

    /** Key of an IPv6 address given as its two big-endian halves. */
    public long ipv6(long high, long low, int port) {
        long h = high;
        long l = low;
        if (mode == KeyMode.PREFIX) {
            int bits = ipv6PrefixBits;
            h &= bits == 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
            l &= bits <= 64 ? 0 : bits == 128 ? -1L : -1L << (128 - bits);
        }
        long w0 = Long.reverseBytes(h);
        long w1 = Long.reverseBytes(l);
        if (mode == KeyMode.ADDRESS_PORT) {
            checkPort(port);
            long w2 = (port >>> 8) & 0xff | (long) (port & 0xff) << 8;
            return Murmur3.hash64(w0, w1, w2, 0, 18);
        }
        return Murmur3.hash64(w0, w1, 0, 0, 16);
    }

    private static void checkPort(int port) {
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("port (" + port + ") must be in 0..65535");
        }
    }
}
