package io.stickyring.sim;

import io.stickyring.ring.ClientKeys;
import io.stickyring.ring.KeyMode;
import picocli.CommandLine.Option;

/** The LB's client-key flags, with the same names and defaults, so a simulation keys clients as the LB does. */
final class KeyOptions {

    @Option(names = "--prefix-v4", paramLabel = "BITS", description = "IPv4 prefix length in prefix key mode, as the LB's (default 24).")
    int prefixV4 = ClientKeys.DEFAULT_IPV4_PREFIX;

    @Option(names = "--prefix-v6", paramLabel = "BITS", description = "IPv6 prefix length in prefix key mode, as the LB's (default 64).")
    int prefixV6 = ClientKeys.DEFAULT_IPV6_PREFIX;

    ClientKeys clientKeys(String keyMode) {
        return new ClientKeys(KeyMode.fromName(keyMode == null ? "address" : keyMode), prefixV4, prefixV6);
    }
}
