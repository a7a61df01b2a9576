package io.stickyring.ring.bench;

import com.google.common.hash.Hashing;
import io.stickyring.ring.ClientKeys;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Client key derivation, what the LB pays per accepted connection, over 1024 distinct random
 * addresses; run with {@code -prof gc} to see allocation. Peer: Guava's murmur3_128 over the same
 * address bytes (same result, see ClientKeysTest).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ClientKeyBench {

    private static final int COUNT = 1024;
    private final ClientKeys keys = ClientKeys.address();
    private final InetSocketAddress[] v4 = new InetSocketAddress[COUNT];
    private final InetSocketAddress[] v6 = new InetSocketAddress[COUNT];
    private final byte[][] v4Bytes = new byte[COUNT][];
    private int i;

    @Setup
    public void setup() throws UnknownHostException {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int k = 0; k < COUNT; k++) {
            byte[] a4 = new byte[4];
            byte[] a6 = new byte[16];
            rnd.nextBytes(a4);
            rnd.nextBytes(a6);
            a6[0] = 0x20;
            v4[k] = new InetSocketAddress(InetAddress.getByAddress(a4), 1024 + k);
            v6[k] = new InetSocketAddress(InetAddress.getByAddress(a6), 1024 + k);
            v4Bytes[k] = a4;
        }
    }

    @Benchmark
    public long ipv4SocketAddress() {
        return keys.key(v4[i++ & (COUNT - 1)]);
    }

    @Benchmark
    public long ipv6SocketAddress() {
        return keys.key(v6[i++ & (COUNT - 1)]);
    }

    @Benchmark
    public long ipv4Bytes() {
        return keys.key(v4Bytes[i++ & (COUNT - 1)], 0);
    }

    @Benchmark
    public long guavaMurmur3Ipv4Bytes() {
        return Hashing.murmur3_128().hashBytes(v4Bytes[i++ & (COUNT - 1)]).asLong();
    }
}
