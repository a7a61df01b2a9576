package io.stickyring.chat.probe;

import java.io.FileWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.ConcurrentLinkedQueue;

/** TEMPORARY latency probe: -Dstickyring.trace=FILE writes "nanoTime stage id thread" lines. */
public final class Trace {
    private static final String FILE = System.getProperty("stickyring.trace");
    public static final boolean ON = FILE != null;
    private static final ConcurrentLinkedQueue<String> Q = new ConcurrentLinkedQueue<>();

    static {
        if (ON) {
            Thread t = new Thread(() -> {
                try (PrintWriter w = new PrintWriter(new FileWriter(FILE, true))) {
                    while (true) {
                        String s;
                        boolean any = false;
                        while ((s = Q.poll()) != null) {
                            w.println(s);
                            any = true;
                        }
                        if (any) {
                            w.flush();
                        }
                        Thread.sleep(200);
                    }
                } catch (IOException | InterruptedException e) {
                    // done
                }
            }, "trace-writer");
            t.setDaemon(true);
            t.start();
        }
    }

    private Trace() {
    }

    public static void at(String stage, String id) {
        if (ON) {
            Q.add(System.nanoTime() + " " + stage + " " + id + " " + Thread.currentThread().getName());
        }
    }
}
