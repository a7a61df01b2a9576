package io.stickyring.chat.server;

import io.stickyring.chat.store.MessageStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A real {@link MessageStore} whose futures the test completes: each write is done at once, but
 * its future is handed back incomplete and completed only by {@link #release}, on the test's
 * thread. So, as with a real store's writer thread, callers attach their stages before the
 * answer comes, and a whole exchange can run step by step on an {@code EmbeddedChannel}.
 */
final class HeldStore {
    private final Queue<Runnable> held = new ArrayDeque<>();
    final MessageStore store;

    HeldStore(MessageStore real) {
        this.store = (MessageStore) Proxy.newProxyInstance(MessageStore.class.getClassLoader(),
                new Class<?>[] {MessageStore.class}, (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (!(result instanceof CompletableFuture<?> f)) {
                        return result;
                    }
                    CompletableFuture<Object> out = new CompletableFuture<>();
                    try {
                        Object v = f.join();
                        held.add(() -> out.complete(v));
                    } catch (CompletionException e) {
                        held.add(() -> out.completeExceptionally(e.getCause()));
                    }
                    return out;
                });
    }

    /** Completes every held future (and any its stages hold meanwhile); returns whether there was one. */
    boolean release() {
        boolean any = false;
        Runnable r;
        while ((r = held.poll()) != null) {
            r.run();
            any = true;
        }
        return any;
    }
}
