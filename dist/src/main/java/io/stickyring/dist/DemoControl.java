package io.stickyring.dist;

import java.util.List;

/**
 * What the demo console and the control endpoint can do to a running demo. Each call returns a
 * one-line human answer; a bad request throws {@link IllegalArgumentException} (unknown node) or
 * {@link IllegalStateException} (node in the wrong state) with the bad value in the message.
 */
interface DemoControl {

    /** Stops node {@code id}: SIGKILL when {@code force}, else SIGTERM (drain, deregister, exit). */
    String kill(String id, boolean force);

    /** Starts node {@code id} again with the same data directory. */
    String start(String id);

    /** One line per node, plus the LB's view of it. */
    List<String> statusLines();
}
