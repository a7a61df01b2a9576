package io.stickyring.sim.workload;

/**
 * Turns a client address (4 or 16 bytes, network order) into the 64-bit key the algorithms hash.
 *
 * <p>The production binding is the ring package's client-key derivation, the same one the LB
 * uses, so a simulated key lands where the LB would send that client.
 */
@FunctionalInterface
public interface ClientKeyFunction {

    long key(byte[] address);
}
